import { statfs } from 'node:fs/promises';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { ENGINE_NAMES } from '../../engines/catalog.js';
import { collectHardware } from '../../hardware/fingerprint.js';
import type { AgentRegistration } from '../../server/fleet/agent-registry.js';
import { JOB_MODES } from '../../server/fleet/job-classes.js';

/**
 * What this host is and can run, as the agent registers it. Its fingerprint is the hardware's with
 * the agent's home, so two agents of one machine (two homes) are two agents, and an agent that
 * restarts on its home is the same one.
 */
export async function describeAgentHost(home: string, env: NodeJS.ProcessEnv): Promise<AgentRegistration> {
  const hardware = await collectHardware({ env, dockerTimeoutMs: 1_000 });
  const docker = hardware.docker.reachable;
  // every mode but docker runs engines as processes of this host; docker needs a daemon that answers
  const modes = JOB_MODES.filter((mode) => mode !== 'docker' || docker);
  const disk = await statfs(home).catch(() => undefined);
  return {
    name: `${hostname()}:${resolve(home)}`,
    fingerprint: `${hardware.fingerprint}:${resolve(home)}`,
    capabilities: {
      modes,
      gpus: hardware.gpu.available ? hardware.gpu.gpus.length : 0,
      arch: hardware.cpu.arch,
      docker,
      ...(disk ? { freeDiskBytes: Number(disk.bavail) * Number(disk.bsize) } : {}),
      engines: [...ENGINE_NAMES],
      images: [],
    },
  };
}
