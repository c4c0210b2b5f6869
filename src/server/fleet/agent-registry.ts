import { createHash } from 'node:crypto';
import { FleetError } from './fleet-error.js';
import { type AgentCapabilities, classesOfAgent, type JobClass } from './job-classes.js';

/** What an agent tells the server as it registers. */
export interface AgentRegistration {
  readonly name: string;
  /** The host's hardware fingerprint (kitt fingerprint), with the agent's home: two homes are two agents. */
  readonly fingerprint: string;
  readonly capabilities: AgentCapabilities & {
    readonly arch: string;
    readonly docker: boolean;
    readonly freeDiskBytes?: number | undefined;
    readonly engines?: readonly string[] | undefined;
    readonly images?: readonly string[] | undefined;
  };
}

export interface KnownAgent extends AgentRegistration {
  readonly id: string;
  readonly classes: readonly JobClass[];
  lastSeenAt: number;
  /** The job it holds, with its latest progress line. */
  job?: { readonly id: string; readonly attempt: number; line?: string | undefined } | undefined;
}

/**
 * The agents the server knows, in memory: an agent registers again when an answer says it is
 * unknown (after a server restart), so nothing here needs to outlive the process. Its id is its
 * fingerprint's hash, the same across its restarts.
 */
export class AgentRegistry {
  private readonly agents = new Map<string, KnownAgent>();

  register(registration: AgentRegistration, now = Date.now()): KnownAgent {
    const id = `agent-${createHash('sha256').update(registration.fingerprint).digest('hex').slice(0, 12)}`;
    const agent: KnownAgent = {
      ...registration,
      id,
      classes: classesOfAgent(registration.capabilities),
      lastSeenAt: now,
    };
    this.agents.set(id, agent);
    return agent;
  }

  /** The agent, seen now; 404 when unknown, which tells it to register again. */
  touch(id: string, now = Date.now()): KnownAgent {
    const agent = this.agents.get(id);
    if (!agent) {
      throw new FleetError(404, 'NOT_FOUND', `agent ${id} is not registered`, 'POST /api/v1/agents registers it');
    }
    agent.lastSeenAt = now;
    return agent;
  }

  holderOf(jobId: string): KnownAgent | undefined {
    return [...this.agents.values()].find((agent) => agent.job?.id === jobId);
  }

  list(): KnownAgent[] {
    return [...this.agents.values()];
  }
}
