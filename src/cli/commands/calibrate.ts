import { join } from 'node:path';
import { type Command, Option } from 'commander';
import { calibrateContainer, formatCalibrationTable } from '../../app/calibrate/calibrate-container.js';
import { formatContextsResult } from '../../app/calibrate/calibrate-contexts.js';
import { type CalibrateCommandFlags, planCalibrationRun } from '../../app/calibrate/calibrate-options.js';
import { CALIBRATION_PROMPTS, createCalibrationPorts } from '../../app/calibrate/calibrate-ports.js';
import { attachTarget } from '../../app/shared/attach-target.js';
import { formatRateEstimate } from '../../calibrate/estimate-rate.js';
import { formatAcrossRuns } from '../../calibrate/host-drift.js';
import { newRunId } from '../../core/ids.js';
import { ensureWritableDir, homePaths, resolveKittHome } from '../../core/kitt-home.js';
import { catalogModes } from '../../engines/catalog.js';
import { SLO_EXAMPLE, SLO_PERCENTILE_EXAMPLE } from '../../metrics/slo.js';
import type { CliContext } from '../cli-context.js';
import { addTargetOptions } from './run.js';

interface Flags extends CalibrateCommandFlags {
  readonly model: string;
  readonly output?: string;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** `kitt calibrate`: find the highest rate a limited container sustains, and write it down. */
export function registerCalibrateCommand(program: Command, context: CliContext): void {
  const command = program.command('calibrate');
  addTargetOptions(command);
  command
    .description(
      "find the highest request rate an engine container sustains inside a CPU band (and SLO), and save it as the container's rate",
    )
    .option('-e, --engine <engine>', 'engine to calibrate (llamacpp, vllm, ollama, ...; required)')
    .option('-m, --model <path>', 'model file or name (required)')
    .option('--cpus <n>', 'CPU limit of the container, e.g. 1 or 0.5 (required)')
    .option('--memory <size>', 'memory limit of the container, e.g. 2g (required)')
    .option('--target-cpu <low-high>', 'CPU band in percent of the CPU limit', '80-90')
    .option(
      '--slo <terms>',
      `latency SLO on ttft/tpot, p95 unless named, e.g. ${SLO_EXAMPLE},${SLO_PERCENTILE_EXAMPLE} (bare number: ms)`,
    )
    .option('--objective <cpu|slo|both>', 'what the rate must respect', 'cpu')
    .option('--window <duration>', 'length of each measurement window, e.g. 10s or 1m (bare number: seconds)', '10s')
    .option('--max-windows <n>', 'measurement windows at most (the soak not counted)', '10')
    .option('--precision <pct>', "measure until the rate's 95 % interval is within ±pct % (or --max-windows is spent)")
    .option('--soak <duration>', 'sustain the found rate this long to prove it holds (0 to skip)', '30s')
    .option('--start-rate <req/s>', 'first rate tried, requests/s', '0.5')
    .option('--max-rate <req/s>', 'never offer more than this, requests/s', '500')
    .addOption(new Option('--mode <mode>', `how the engine is hosted: ${catalogModes().join(', ')} (default: docker)`))
    .option('--port <n>', "engine port (default: the engine's own)")
    .option('--gpus <list>', 'GPUs: all, or indices such as 0,2')
    .option('--engine-arg <arg>', 'pass a flag through to the engine (repeatable)', collect)
    .option('--image <image>', "container image instead of the catalog's")
    .option('--parallel <n>', 'parallel request slots (llama.cpp)')
    .option('--threads <n>', 'CPU threads of the engine')
    .option('--prompt-tokens <n>', 'prompt length of every request, tokens', String(CALIBRATION_PROMPTS.inputTokens))
    .option('--output-tokens <n>', 'output length of every request, tokens', String(CALIBRATION_PROMPTS.outputTokens))
    .option('--no-contexts', 'skip the phase after the rate that finds how many full contexts fit the memory limit')
    .option('--context-tokens <n>', "tokens of each context sized (default: the model's context, at most 4096)")
    .option('--contexts-ceiling <n>', 'never estimate or verify more contexts than this', '64')
    .option('-o, --output <dir>', 'result folder (default: KITT_HOME/results/<run id>)')
    .addHelpText(
      'after',
      `
Each window offers an open-loop constant request rate, samples the container's CPU (percent of its
limit), throttling and memory, and the engine's queue, and judges it: under-band, in-band, over-band,
slo-violated, saturated (throughput below 95 % of offered, or latency/queue growing), oom or
error-rate. The rate grows until a window is bad, then the bracket narrows to 2.5 %; the best
good rate is soaked, then written to config as compute.rates["<engine>/<limits>"] and to the store.
Then (llama.cpp under --memory; --no-contexts skips it) the largest number of full contexts that
fit the memory limit: one context filled measures the baseline, the model's KV size gives the
estimate, and the engine is started with that many --parallel slots, every slot filled at once,
stepping down after an OOM; written as compute.maxContexts["<engine>/<limits>"].
Writes calibration.json and calibration.md (every window and why) to the result folder.

Examples:
  kitt calibrate -e llamacpp -m ./model.gguf --cpus 1 --memory 2g --window 5s --soak 20s
  kitt calibrate -e llamacpp -m ./model.gguf --cpus 2 --memory 4g --objective both --slo ${SLO_EXAMPLE},${SLO_PERCENTILE_EXAMPLE}
  kitt calibrate --target http://127.0.0.1:8000 --objective slo --slo ${SLO_PERCENTILE_EXAMPLE}

With --target, the server that runs there is calibrated on the SLO alone (its CPU is not kitt's to
read: --objective cpu or both is refused); the rate goes to the store, not to compute.rates.

Every problem with the options is reported at once, before the container starts.`,
    )
    .action(async (flags: Flags) => {
      const runId = newRunId();
      const plan = planCalibrationRun(flags, { runId, env: context.env });
      const attached = plan.target ? await attachTarget(plan.target, context.env, context.signal) : undefined;
      const home = resolveKittHome(context.env);
      const resultDir = ensureWritableDir(flags.output ?? join(homePaths(home).results, runId));
      const ports = await createCalibrationPorts({
        home,
        env: context.env,
        progress: context.progress,
        prompts: plan.prompts,
        attached,
      });
      // closing the ports stops any engine they started, whichever way the command ends
      context.onClose(() => ports.close());
      const result = await calibrateContainer(
        {
          engine: attached ? { ...plan.engine, engine: attached.record.engine } : plan.engine,
          modelLabel: attached?.record.servedModel ?? flags.model,
          policy: plan.policy,
          windowMs: plan.windowMs,
          soakMs: plan.soakMs,
          resultDir,
          ...(plan.contexts ? { contexts: plan.contexts } : {}),
        },
        ports,
        { signal: context.signal, progress: context.progress },
      );
      context.stdout.write(`${formatCalibrationTable(result)}\n\n`);
      context.stdout.write(
        `${result.rateKey}: ${result.rate!.toFixed(3)} requests/s (${result.tokensPerS?.toFixed(1) ?? '?'} output tokens/s), ` +
          `${result.held === false ? 'soak did not hold' : 'soak held'}\n${result.reason}\n` +
          `${formatRateEstimate(result.estimate, result.precision.asked)}\n` +
          `across runs: ${formatAcrossRuns(result.acrossRuns, result.earlierCalibrations)}\n` +
          (result.contexts ? `${formatContextsResult(result.contexts)}\n` : '') +
          `report: ${resultDir}\n`,
      );
    });
}
