import type { Command } from 'commander';
import { DEFAULT_TOKEN_ENV, pushTargetFrom } from '../../app/push/push-target.js';
import { runBenchmark } from '../../app/run/run-benchmark.js';
import { planRun, type RunFlags } from '../../app/run/run-plan.js';
import { createRunPorts } from '../../app/run/run-ports.js';
import { runRepeats } from '../../app/run/run-repeats.js';
import type { TargetRecord } from '../../app/shared/attach-target.js';
import type { KittConfig } from '../../config/config-schema.js';
import { loadConfig } from '../../config/load-config.js';
import { KittError } from '../../core/errors.js';
import { newRunId } from '../../core/ids.js';
import { catalogModes, DEFAULT_ENGINE, ENGINE_NAMES } from '../../engines/catalog.js';
import { LOAD_KINDS } from '../../load/load-spec.js';
import { SLO_EXAMPLE, SLO_PERCENTILE_EXAMPLE } from '../../metrics/slo.js';
import { attachPlannedTarget } from '../attach-planned-target.js';
import type { CliContext } from '../cli-context.js';
import { renderRepeatsOutcome, repeatsOutcomeJson } from '../render-repeats.js';
import { renderRunOutcome, runOutcomeError, runOutcomeJson } from '../render-run.js';
import { readPackageVersion } from '../version.js';
import { uploadRecordedRuns } from './results-push.js';
import { addKubernetesOptions, type KubernetesRunFlags, runOnKubernetes, wantsKubernetes } from './run-kubernetes.js';

interface Flags extends RunFlags, KubernetesRunFlags {
  readonly output?: string;
  readonly config?: string;
  readonly json?: boolean;
  readonly pull?: boolean;
  readonly prometheusHost?: string;
  readonly upload?: string;
  readonly uploadTokenEnv?: string;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Adds the engine flags `kitt run` and `kitt calibrate` share. */
export function addEngineOptions(command: Command): Command {
  return command
    .option('-m, --model <path>', 'model file (GGUF) or directory; default: the synthetic model (MODEL_PATH)')
    .option('-e, --engine <name>', `engine: ${ENGINE_NAMES.join(', ')} (default: ${DEFAULT_ENGINE})`)
    .option('--mode <mode>', `how the engine is hosted: ${catalogModes().join(', ')} (default: the engine's first)`)
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

/** Adds the flags that point `kitt run` and `kitt calibrate` at a server that runs already. */
export function addTargetOptions(command: Command): Command {
  return command
    .option('--target <url>', 'measure a server that runs already (OpenAI-compatible), e.g. http://127.0.0.1:8000')
    .option('--api <api>', 'with --target: completions (default) or chat')
    .option('--served-model <name>', 'with --target: the model requests carry (default: the one GET /v1/models lists)')
    .option('--api-key-env <var>', "with --target: the environment variable holding the server's key (sent as Bearer)")
    .option('--header <name:value>', 'with --target: a header sent on every request (repeatable)', collect);
}

/**
 * The config stored with a target run: the target as it was measured, the key by its variable's
 * name and the headers by name only (their values may be secret).
 */
function recordedConfig(config: KittConfig, record: TargetRecord | undefined): unknown {
  if (!record) return config;
  return {
    ...config,
    run: {
      ...config.run,
      target: record.url,
      api: record.api === 'openai-chat' ? 'chat' : 'completions',
      servedModel: record.servedModel,
      ...(record.apiKeyEnv ? { apiKeyEnv: record.apiKeyEnv } : {}),
      targetEngine: { name: record.engine, recognisedBy: record.recognisedBy },
      ...(record.headerNames.length > 0 ? { targetHeaders: record.headerNames } : {}),
    },
  };
}

/** `kitt run`: start an engine, load it, summarise, store. */
export function registerRunCommand(program: Command, context: CliContext): void {
  const command = program
    .command('run')
    .description('start an engine, run a load against it, print and store what was measured');
  addKubernetesOptions(addTargetOptions(addEngineOptions(command)))
    .option('--load <kind>', `load kind: ${LOAD_KINDS.join(', ')} (default fixed-concurrency)`)
    .option('--load-file <path>', 'a whole load spec as YAML/JSON (docs/load.md); takes no other load flag')
    .option('--requests <n>', 'measured requests (default 32; with a ramp, a cap on them)')
    .option('--duration <time>', 'measured duration instead of a count, e.g. 30s, 2m, 1h (bare number: seconds)')
    .option('--concurrency <n>', 'requests in flight, for fixed-concurrency (default 4)')
    .option(
      '--rate <req/s>',
      'arrival rate, for constant-rate and poisson; calibrated: the rate kitt calibrate found for this engine and limits',
    )
    .option('--from <n>', 'start of a ramp: req/s for ramp-rate, requests in flight for ramp-concurrency')
    .option('--to <n>', 'end of a ramp, reached after --duration')
    .option('--levels <list>', 'sweep levels, e.g. 1,2,4 (rates, or concurrencies with --sweep-of)')
    .option('--sweep-of <kind>', 'what a sweep runs at each level: constant-rate (default), poisson, fixed-concurrency')
    .option('--warmup <n>', 'warmup requests, excluded from results (default 4; 0 for none)')
    .option('--prompt-tokens <n>', 'synthetic prompt length in tokens (default 64)')
    .option('--output-tokens <n>', 'output length in tokens (default 64)')
    .option('--max-in-flight <n>', 'cap on requests in flight, for open-loop loads (rates, ramp-rate, sweep)')
    .option('--overflow <policy>', 'an arrival finding the cap full: queue (default) or drop')
    .option('--dataset <path>', 'prompts from a JSONL or ShareGPT file (checked before the engine starts)')
    .option('--dataset-format <format>', 'dataset format: jsonl (default) or sharegpt')
    .option('--workers <n>', 'worker threads for the load generator')
    .option(
      '--stamps <where>',
      'where token arrivals are stamped: socket (default: when the bytes reached the socket) or event-loop (less client CPU)',
    )
    .option(
      '--start-spread <time>',
      "fixed concurrency: open the users' streams over this time, e.g. 2s or 0 for all at once (default 5 ms a user, at most 1s)",
    )
    .option('--timeout <time>', 'per-request deadline, e.g. 300s or 5m (bare number: seconds)')
    .option('--seed <n>', 'seed of the synthetic prompts')
    .option('--prompt-salt <salt>', "replay a run's prompts: the salt recorded in its run.json (default: a fresh one)")
    .option('--shared-prefix <tokens>x<groups>', 'prompts in each group share their first tokens, e.g. 512x4')
    .option(
      '--slo <terms>',
      `SLO: per-request bounds for goodput (${SLO_EXAMPLE}) and percentile terms judged on the run (${SLO_PERCENTILE_EXAMPLE}); a bare number is ms`,
    )
    .option('-o, --output <dir>', 'result directory (default: KITT_HOME/results/<run id>)')
    .option('--config <path>', 'config file (default: ./kitt.yaml or KITT_HOME/config.yaml)')
    .option('--prometheus-port <n>', 'serve live metrics for Prometheus on this port during the run')
    .option(
      '--prometheus-host <address>',
      'address the live metrics bind (default 127.0.0.1; 0.0.0.0 serves other machines)',
    )
    .option(
      '--repeat <n>',
      'run the benchmark n times (at most 100) and report mean, CV and a 95 % interval per metric',
    )
    .option('--upload <url>', 'push the recorded run to this kitt server, whatever its end (token: KITT_SERVER_TOKEN)')
    .option('--upload-token-env <var>', 'with --upload: the variable holding the token (default KITT_SERVER_TOKEN)')
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
  kitt run --load constant-rate --rate 4 --duration 60s --slo ttft=500ms,tpot=50ms
  kitt run -e llamacpp --cpus 1 --memory 2g --load constant-rate --rate calibrated --duration 10m
  kitt run --load ramp-rate --from 0.5 --to 20 --duration 5m --max-in-flight 64
  kitt run --load sweep --levels 1,2,4,8 --duration 30s
  kitt run --dataset ./prompts.jsonl --requests 100
  kitt run --repeat 5 --requests 64
  kitt run --target http://127.0.0.1:8000 --load sweep --levels 1,2,4 --duration 30s
  kitt run --target https://llm.example.com --api chat --served-model my-model --api-key-env MY_KEY
  KITT_SERVER_TOKEN=kitt_… kitt run --upload http://kitt.example.com:8080

With --upload URL, the run is pushed once recorded, succeeded, interrupted or failed (docs/server.md,
"A team's results"). A server that cannot be reached costs a warning naming the kitt results push
command for later; the run stays in the local store and the exit code is the run's own.

With --target, nothing is started: kitt measures the server there, reads its model from
GET /v1/models, and recognises vLLM, SGLang, TGI, llama.cpp or Ollama to cross-check its token
counters ("unknown" otherwise, still measured). The key is read from the variable --api-key-env
names and is sent only to the target; kitt records the variable's name, never the key.

With --repeat N, each repeat is a run of its own (own id, result directory and store row, the
engine started anew); repeats.json and repeats.md in KITT_HOME/results/<series id>/ (or in -o DIR,
with the repeats in DIR/1 … DIR/N) hold mean, sd, CV and the Student-t 95 % interval of the mean.

Every problem with the options is reported at once, before anything starts.
  kitt run -e vllm -m /models/llama-8b --gpus all --engine-arg=--max-model-len=4096`,
    )
    .action(async (flags: Flags) => {
      const loaded = loadConfig({ env: context.env, explicitPath: flags.config });
      const { config } = loaded;
      if (wantsKubernetes(flags)) {
        if (flags.upload) {
          throw new KittError(
            'USAGE',
            '--upload does not apply to --runtime kubernetes: a cluster run is recorded in the local store only',
            {
              hint: 'drop --upload, or run locally',
            },
          );
        }
        return runOnKubernetes(
          flags,
          config,
          { home: loaded.home, recordedConfig: recordedConfig(config, undefined) },
          context,
        );
      }
      if (flags.uploadTokenEnv && !flags.upload) {
        throw new KittError('USAGE', '--upload-token-env names the token of --upload, which is not given', {
          hint: 'add --upload URL, or drop --upload-token-env',
        });
      }
      // checked before the run, so a missing token is not found out after a ten-minute benchmark
      const upload = flags.upload
        ? pushTargetFrom(flags.upload, context.env, flags.uploadTokenEnv ?? DEFAULT_TOKEN_ENV)
        : undefined;
      const runId = newRunId();
      const plan = await planRun(flags, config, { runId, env: context.env });
      if (plan.rateNote) context.progress.info(plan.rateNote);
      const { attached, engine } = await attachPlannedTarget(plan, context);
      const openPorts = () =>
        createRunPorts({
          attached,
          config,
          home: loaded.home,
          env: context.env,
          pull: flags.pull ?? false,
          prometheusPort: plan.prometheusPort,
          prometheusHost: flags.prometheusHost,
          progress: context.progress,
          kittVersion: readPackageVersion(),
          // the server that takes the run at its end shows it while it runs too (/runs/<id>/live)
          ...(upload ? { live: { url: upload.server, token: upload.token.reveal() } } : {}),
        });
      const request = {
        engine,
        load: plan.load,
        ...(plan.slo ? { slo: plan.slo } : {}),
        ...(plan.sloPercentiles ? { sloPercentiles: plan.sloPercentiles } : {}),
        home: loaded.home,
        ...(flags.output ? { resultDir: flags.output } : {}),
        config: recordedConfig(config, attached?.record),
        kittVersion: readPackageVersion(),
      };
      const runContext = { progress: context.progress, signal: context.signal, force: context.force };
      if (plan.repeat > 1) {
        const series = await runRepeats(request, plan.repeat, openPorts, runContext, (outcome, mark) => {
          if (flags.json) return;
          for (const warning of outcome.warnings) context.progress.warn(warning);
          context.stdout.write(`\nrepeat ${mark.index}/${mark.of}\n${renderRunOutcome(outcome)}`);
        });
        context.stdout.write(flags.json ? repeatsOutcomeJson(series) : renderRepeatsOutcome(series));
        if (upload)
          await uploadRecordedRuns(
            series.runs.map((run) => run.runId),
            upload,
            loaded,
            context,
          );
        const last = series.runs.at(-1);
        const interrupted = last ? runOutcomeError(last) : undefined;
        if (interrupted) throw interrupted;
        if (series.stoppedBy !== undefined) throw series.stoppedBy;
        return;
      }
      const ports = await openPorts();
      context.onClose(() => ports.close());
      const outcome = await runBenchmark(request, ports, runContext).catch(async (error: unknown) => {
        // a run that failed after it was recorded is pushed as failed; one never recorded is skipped
        if (upload) await uploadRecordedRuns([runId], upload, loaded, context);
        throw error;
      });
      if (flags.json) context.stdout.write(runOutcomeJson(outcome));
      else {
        for (const warning of outcome.warnings) context.progress.warn(warning);
        context.stdout.write(renderRunOutcome(outcome));
      }
      if (upload) await uploadRecordedRuns([outcome.runId], upload, loaded, context);
      const failed = runOutcomeError(outcome);
      if (failed) throw failed;
    });
}
