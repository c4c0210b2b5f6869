import { type Command, Option } from 'commander';
import { type EngineFlags, engineRequestFrom } from '../../app/engine-options.js';
import { type LoadFlags, loadSpecFrom } from '../../app/load-options.js';
import { runBenchmark } from '../../app/run-benchmark.js';
import { createRunPorts } from '../../app/run-ports.js';
import { loadConfig } from '../../config/load-config.js';
import { newRunId } from '../../core/ids.js';
import type { EngineRequest } from '../../engines/engine.js';
import { planLoad } from '../../load/load-plan.js';
import type { LoadSpec } from '../../load/load-spec.js';
import { parseSlo } from '../../metrics/slo.js';
import type { CliContext } from '../cli-context.js';
import { interruptedRunError, renderRunOutcome, runOutcomeJson } from '../render-run.js';
import { readPackageVersion } from '../version.js';

interface RunFlags extends EngineFlags, LoadFlags {
  readonly slo?: string;
  readonly output?: string;
  readonly config?: string;
  readonly json?: boolean;
  readonly pull?: boolean;
  readonly prometheusPort?: string;
}

/**
 * Without --parallel, an engine gets as many slots as the load keeps in flight (at most 8): with
 * fewer, requests wait inside the engine and TTFT measures its queue rather than its prefill.
 */
function withDefaultParallel(engine: EngineRequest, load: LoadSpec): EngineRequest {
  if (engine.parallel !== undefined) return engine;
  const concurrency = planLoad(load).maxConcurrency;
  return { ...engine, parallel: Math.max(1, Math.min(concurrency ?? 4, 8)) };
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Adds the engine flags `kitt run` and `kitt calibrate` share. */
export function addEngineOptions(command: Command): Command {
  return command
    .option('-m, --model <path>', 'model file (GGUF) or directory; default: the synthetic model (MODEL_PATH)')
    .option('-e, --engine <name>', 'engine: embedded, llamacpp, vllm, ollama, exllamav2 (default: embedded)')
    .addOption(new Option('--mode <mode>', 'how the engine is hosted').choices(['docker', 'native', 'embedded']))
    .option('--port <n>', "engine port (default: the engine's own, or a free one for embedded)")
    .option('--cpus <n>', 'CPU limit of the engine, e.g. 1 or 0.5')
    .option('--memory <size>', 'memory limit of the engine, e.g. 1g (swap is off unless --memory-swap)')
    .option('--memory-swap <size>', 'memory + swap limit, at least --memory')
    .option('--pids <n>', 'process/thread limit of the engine container')
    .option('--gpus <list>', 'GPUs: all, or indices such as 0,2')
    .option('--engine-arg <arg>', 'pass a flag through to the engine (repeatable)', collect)
    .option('--image <image>', "container image instead of the catalog's")
    .option('--parallel <n>', 'parallel request slots (llama.cpp, embedded)')
    .option('--threads <n>', 'CPU threads of the engine (default: the CPUs really available)');
}

/** `kitt run`: start an engine, load it, summarise, store. */
export function registerRunCommand(program: Command, context: CliContext): void {
  const command = program
    .command('run')
    .description('start an engine, run a load against it, print and store what was measured');
  addEngineOptions(command)
    .addOption(
      new Option('--load <kind>', 'load model').choices([
        'synchronous',
        'fixed-concurrency',
        'constant-rate',
        'poisson',
        'sweep',
      ]),
    )
    .option('--load-file <path>', 'a whole load spec as YAML/JSON (docs/load.md); other load flags are ignored')
    .option('--requests <n>', 'measured requests (default 32)')
    .option('--duration <time>', 'measured duration instead of a count, e.g. 30s')
    .option('--concurrency <n>', 'requests in flight for fixed-concurrency (default 4)')
    .option('--rate <req/s>', 'arrival rate for constant-rate and poisson')
    .option('--levels <list>', 'sweep levels, e.g. 1,2,4')
    .addOption(
      new Option('--sweep-of <kind>', 'what a sweep varies').choices(['constant-rate', 'poisson', 'fixed-concurrency']),
    )
    .option('--warmup <n>', 'warmup requests, excluded from results (default 4)')
    .option('--prompt-tokens <n>', 'prompt length in tokens (default 64)')
    .option('--output-tokens <n>', 'output length in tokens (default 64)')
    .option('--max-in-flight <n>', 'cap on requests in flight for open-loop loads')
    .addOption(new Option('--overflow <policy>', 'an arrival finding the cap full').choices(['queue', 'drop']))
    .option('--dataset <path>', 'prompts from a JSONL or ShareGPT file')
    .addOption(new Option('--dataset-format <format>', 'dataset format').choices(['jsonl', 'sharegpt']))
    .option('--workers <n>', 'worker threads for the load generator')
    .option('--timeout <time>', 'per-request deadline (default 300s)')
    .option('--seed <n>', 'seed of the synthetic prompts')
    .option('--slo <bounds>', 'per-request SLO for goodput, e.g. ttft=500,tpot=50 (milliseconds)')
    .option('-o, --output <dir>', 'result directory (default: KITT_HOME/results/<run id>)')
    .option('--config <path>', 'config file (default: ./kitt.yaml or KITT_HOME/config.yaml)')
    .option('--prometheus-port <n>', 'serve live metrics for Prometheus on this port during the run')
    .option('--pull', 'pull the engine image if it is missing')
    .option('--json', 'print the metrics as JSON instead of a table')
    .addHelpText(
      'after',
      `
With no options, kitt synthesizes a small GGUF model (random weights, real tokenizer), serves it with
the embedded llama.cpp engine on loopback, runs 32 requests 4 at a time after a short warmup, and
prints the summary. Results: metrics.json, requests.jsonl (every request and token arrival),
summary.md and, for containers, stats.jsonl, in the result directory; the run is recorded in the store.

Examples:
  kitt run
  kitt run -m ./model.gguf -e llamacpp --cpus 1 --memory 1g
  kitt run --load constant-rate --rate 4 --duration 60s --slo ttft=500,tpot=50
  kitt run -e vllm -m /models/llama-8b --gpus all --engine-arg=--max-model-len=4096`,
    )
    .action(async (flags: RunFlags) => {
      const loaded = loadConfig({ env: context.env, explicitPath: flags.config });
      const { config } = loaded;
      const runId = newRunId();
      const engineFlags: EngineFlags = {
        ...flags,
        engine: flags.engine ?? config.run.engine,
        model: flags.model ?? config.run.model,
        mode: flags.mode ?? config.run.mode,
        port: flags.port ?? (config.run.port === undefined ? undefined : String(config.run.port)),
        memory: flags.memory ?? config.limits.memory,
        memorySwap: flags.memorySwap ?? config.limits.memorySwap,
        cpus: flags.cpus ?? (config.limits.cpus === undefined ? undefined : String(config.limits.cpus)),
        pids: flags.pids ?? (config.limits.pids === undefined ? undefined : String(config.limits.pids)),
      };
      const load = loadSpecFrom(flags, config);
      const engine = withDefaultParallel(engineRequestFrom(engineFlags, { runId, env: {} }), load);
      const slo = flags.slo ? parseSlo(flags.slo) : undefined;
      const ports = await createRunPorts({
        config,
        home: loaded.home,
        env: context.env,
        pull: flags.pull ?? false,
        prometheusPort: flags.prometheusPort === undefined ? undefined : Number(flags.prometheusPort),
        progress: context.progress,
        kittVersion: readPackageVersion(),
      });
      context.onClose(() => ports.close());
      const outcome = await runBenchmark(
        {
          engine,
          load,
          ...(slo ? { slo } : {}),
          home: loaded.home,
          ...(flags.output ? { resultDir: flags.output } : {}),
          config,
          kittVersion: readPackageVersion(),
        },
        ports,
        { progress: context.progress, signal: context.signal, force: context.force },
      );
      if (flags.json) context.stdout.write(runOutcomeJson(outcome));
      else {
        for (const warning of outcome.warnings) context.progress.warn(warning);
        context.stdout.write(renderRunOutcome(outcome));
      }
      const interrupted = interruptedRunError(outcome);
      if (interrupted) throw interrupted;
    });
}
