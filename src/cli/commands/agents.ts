import type { Command } from 'commander';
import { AGENTS_DEFAULTS } from '../../agents/agents-spec.js';
import { type AgentsCommandFlags, planAgents } from '../../app/agents/agents-plan.js';
import { createAgentsPorts } from '../../app/agents/agents-ports.js';
import { runAgents } from '../../app/agents/run-agents.js';
import { loadConfig } from '../../config/load-config.js';
import { KittError } from '../../core/errors.js';
import { newRunId } from '../../core/ids.js';
import { homePaths } from '../../core/kitt-home.js';
import { attachPlannedTarget } from '../attach-planned-target.js';
import type { CliContext } from '../cli-context.js';
import { readPackageVersion } from '../version.js';
import { agentsRateSaver, autoCalibration } from './agents-calibrate.js';
import { AgentPhases, formatStepLine, renderAgentsOutcome } from './agents-render.js';
import { addEngineOptions } from './run.js';

interface Flags extends AgentsCommandFlags {
  readonly output?: string;
  readonly config?: string;
  readonly json?: boolean;
  readonly pull?: boolean;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** `kitt agents`: simulated agents that recall, think, act and remember against an engine, paced by a token bucket. */
export function registerAgentsCommand(program: Command, context: CliContext): void {
  const command = program
    .command('agents')
    .description('run simulated agents (recall → think → act → remember) against an engine, paced by a token bucket');
  addEngineOptions(command)
    .option('--target <url>', 'agents think at a server that runs already (OpenAI-compatible chat)')
    .option('--served-model <name>', 'with --target: the model requests carry (default: the one GET /v1/models lists)')
    .option('--api-key-env <var>', "with --target: the environment variable holding the server's key")
    .option('--header <name:value>', 'with --target: a header sent on every request (repeatable)', collect)
    .option('--agents <n>', `agents running at once (default ${AGENTS_DEFAULTS.agents})`)
    .option('--steps <n>', `steps each agent takes (default ${AGENTS_DEFAULTS.steps})`)
    .option('--duration <time>', 'run for this long instead of a step count, e.g. 30s, 5m (bare number: seconds)')
    .option(
      '--mix <thinks:acts>',
      `thinks per acts, e.g. 1:1 (every think acts) or 3:1 (default ${AGENTS_DEFAULTS.mix})`,
    )
    .option(
      '--tool-latency <time>',
      `median latency of the simulated tools, log-normal (default ${AGENTS_DEFAULTS.toolLatencyMs}ms)`,
    )
    .option(
      '--context-limit <tokens>',
      `prompt + answer tokens an agent's conversation may fill before its oldest turns are dropped (default ${AGENTS_DEFAULTS.contextLimit})`,
    )
    .option('--max-tokens <n>', `answer length of a think, tokens (default ${AGENTS_DEFAULTS.maxTokens})`)
    .option('--seed <n>', `seed of tool choices, latencies and the mix (default ${AGENTS_DEFAULTS.seed})`)
    .option(
      '--rate <tokens/s>',
      'global token bucket, prompt + output tokens/s: a number, calibrated (default), auto (calibrate first) or off',
    )
    .option('--calibrate-window <time>', '--rate auto: length of each window of the agents at one rate (default 10s)')
    .option('--calibrate-windows <n>', '--rate auto: windows at most before the soak (default 10)')
    .option('--soak <time>', '--rate auto: the window at the found rate that must hold before the run (default 30s)')
    .option('--target-cpu <low-high>', "--rate auto: the engine's CPU band, percent of its limit (default 80-90)")
    .option('--agent-rate <tokens/s>', "each agent's own budget, tokens/s, on top of the global bucket")
    .option(
      '--max-contexts <n>',
      'thinks in flight at most (default: compute.maxContexts["<engine>/<limits>"] from kitt calibrate, else uncapped)',
    )
    .option('--top-k <n>', `memories recalled per step (default ${AGENTS_DEFAULTS.topK})`)
    .option(
      '--scenario <file>',
      'a scenario as YAML/JSON: the same fields, plus systemPrompt, goals and tools (docs/agents.md)',
    )
    .option('--reset-memory', "forget the scenario's memories before the run")
    .option('--timeout <time>', 'deadline of one think, e.g. 300s (bare number: seconds)')
    .option('-o, --output <dir>', 'result directory (default: KITT_HOME/results/<run id>)')
    .option('--config <path>', 'config file (default: ./kitt.yaml or KITT_HOME/config.yaml)')
    .option('--pull', 'pull the engine image if it is missing')
    .option('--json', 'print the outcome as JSON instead of a summary')
    .addHelpText(
      'after',
      `
Each agent loops: recall (top-k memories for its goal) → think (a streamed chat request with its
system prompt, memories, conversation and the tool schema) → act (a simulated tool, seeded
latency) → remember (the step's embedding written to memory). A think that names no known tool
gets a seeded stand-in (random-weight models answer nonsense); results count both.

Thinks wait for a global token bucket (prompt + output tokens/s). Its rate: --rate N, or the
calibrated compute.rates["<engine>/<limits>"] from kitt calibrate, else a conservative 5 tokens/s
with a warning; --rate auto runs kitt calibrate's calibration first (a --mode docker container with
--cpus and --memory), then runs the agents in windows (--calibrate-window, --calibrate-windows) at
the rates calibrate's controller picks until the engine's CPU sits in --target-cpu, soaks (--soak),
writes compute.rates["<engine>/<limits>:agents"] and paces the run at that rate. At most compute.maxContexts["<engine>/<limits>"]
thinks are in flight (--max-contexts N overrides). Memories persist per scenario in KITT_HOME/agents/memory.db (or Qdrant at
memory.url); --reset-memory forgets them.

Examples:
  kitt agents
  kitt agents --agents 4 --steps 10 --rate 400
  kitt agents --duration 2m --mix 3:1 --tool-latency 250ms --context-limit 2048
  kitt agents --scenario ./support-desk.yaml --reset-memory
  kitt agents -e llamacpp -m ./model.gguf --cpus 1 --memory 2g --rate calibrated
  kitt agents --target http://127.0.0.1:8000 --rate off`,
    )
    .action(async (flags: Flags) => {
      const loaded = loadConfig({ env: context.env, explicitPath: flags.config });
      const { config } = loaded;
      const plan = planAgents(flags, config, { runId: newRunId(), env: context.env });
      const { attached, engine } = await attachPlannedTarget(plan, context);
      const ports = await createAgentsPorts({
        config,
        home: loaded.home,
        env: context.env,
        pull: flags.pull ?? false,
        progress: context.progress,
        attached,
      });
      context.onClose(() => ports.close());
      const auto = plan.spec.rate.kind === 'auto';
      const calibrate = auto
        ? autoCalibration({
            home: loaded.home,
            env: context.env,
            ...(loaded.file ? { configPath: loaded.file } : {}),
          })
        : undefined;
      const saveAgentsRate = auto ? agentsRateSaver(loaded.file ?? homePaths(loaded.home).config) : undefined;
      const phases = new AgentPhases();
      let steps = 0;
      const total = plan.spec.stop.kind === 'steps' ? plan.spec.stop.steps * plan.spec.agents : undefined;
      let started = false;
      const outcome = await runAgents(
        {
          plan: { ...plan, engine },
          rates: config.compute.rates,
          maxContexts: config.compute.maxContexts,
          home: loaded.home,
          ...(flags.output ? { resultDir: flags.output } : {}),
          config,
          kittVersion: readPackageVersion(),
        },
        calibrate && saveAgentsRate ? { ...ports, calibrate, saveAgentsRate } : ports,
        {
          progress: context.progress,
          signal: context.signal,
          onPhase: (agent, phase) => {
            if (!started) {
              started = true;
              context.progress.phase(`${plan.spec.agents} agents`, total);
            }
            phases.set(agent, phase);
            context.progress.update(steps, phases.describe());
          },
          onStep: (record) => {
            steps++;
            context.progress.info(formatStepLine(record));
            context.progress.update(steps, phases.describe());
          },
        },
      );
      context.progress.end(`${steps} steps`);
      if (flags.json) context.stdout.write(`${JSON.stringify(outcome, null, 2)}\n`);
      else {
        for (const warning of outcome.warnings) context.progress.warn(warning);
        context.stdout.write(renderAgentsOutcome(outcome));
      }
      if (outcome.failure) throw outcome.failure;
      if (outcome.status === 'interrupted') {
        const reason = context.signal.reason;
        throw reason instanceof KittError ? reason : new KittError('INTERRUPTED', 'interrupted');
      }
    });
}
