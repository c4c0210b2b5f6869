import { join } from 'node:path';
import type { Command } from 'commander';
import { calibrateContainer, formatCalibrationTable } from '../../app/calibrate-container.js';
import { type CalibrateFlags, calibrationSettingsFrom } from '../../app/calibrate-options.js';
import { createCalibrationPorts } from '../../app/calibrate-ports.js';
import { KittError } from '../../core/errors.js';
import { newRunId } from '../../core/ids.js';
import { ensureWritableDir, homePaths, resolveKittHome } from '../../core/kitt-home.js';
import { parseBytes } from '../../core/units.js';
import { parseEngineName } from '../../engines/catalog.js';
import type { EngineMode } from '../../engines/engine.js';
import type { CliContext } from '../cli-context.js';

interface Flags extends CalibrateFlags {
  readonly engine: string;
  readonly model: string;
  readonly cpus: string;
  readonly memory: string;
  readonly mode: EngineMode;
  readonly output?: string;
}

/** `kitt calibrate`: find the highest rate a limited container sustains, and write it down. */
export function registerCalibrateCommand(program: Command, context: CliContext): void {
  program
    .command('calibrate')
    .description(
      "find the highest request rate an engine container sustains inside a CPU band (and SLO), and save it as the container's rate",
    )
    .requiredOption('-e, --engine <engine>', 'engine to calibrate (llamacpp, vllm, ollama, ...)')
    .requiredOption('-m, --model <path>', 'model file or name')
    .requiredOption('--cpus <n>', 'CPU limit of the container, e.g. 1 or 0.5')
    .requiredOption('--memory <size>', 'memory limit of the container, e.g. 2g')
    .option('--target-cpu <low-high>', 'CPU band in percent of the CPU limit', '80-90')
    .option('--slo <terms>', 'latency SLO, p95 unless named: ttft=500ms,tpot=50ms,ttft-p99=1s')
    .option('--objective <cpu|slo|both>', 'what the rate must respect', 'cpu')
    .option('--window <duration>', 'length of each measurement window', '10s')
    .option('--max-windows <n>', 'measurement windows at most (the soak not counted)', '10')
    .option('--soak <duration>', 'sustain the found rate this long to prove it holds (0 to skip)', '30s')
    .option('--start-rate <req/s>', 'first rate tried, requests/s', '0.5')
    .option('--max-rate <req/s>', 'never offer more than this, requests/s', '500')
    .option('--mode <docker|native|embedded>', 'how the engine is hosted', 'docker')
    .option('-o, --output <dir>', 'result folder (default: KITT_HOME/results/<run id>)')
    .addHelpText(
      'after',
      `
Each window offers an open-loop constant request rate, samples the container's CPU (percent of its
limit), throttling and memory, and the engine's queue, and judges it: under-band, in-band, over-band,
slo-violated, saturated (throughput below 95 % of offered, or latency/queue growing), oom or
error-rate. The rate grows until a window is bad, then the bracket narrows to 2.5 %; the best
good rate is soaked, then written to config as compute.rates["<engine>/<limits>"] and to the store.
Writes calibration.json and calibration.md (every window and why) to the result folder.

Example:
  kitt calibrate -e llamacpp -m ./model.gguf --cpus 1 --memory 2g --window 5s --soak 20s`,
    )
    .action(async (flags: Flags) => {
      const settings = calibrationSettingsFrom(flags);
      const runId = newRunId();
      const home = resolveKittHome(context.env);
      const resultDir = ensureWritableDir(flags.output ?? join(homePaths(home).results, runId));
      const cpus = Number(flags.cpus);
      if (!(cpus > 0)) {
        throw new KittError('USAGE', `--cpus must be a number above 0, got "${flags.cpus}"`, {
          hint: 'e.g. --cpus 1 or --cpus 0.5',
        });
      }
      const ports = await createCalibrationPorts({ home, env: context.env });
      const result = await calibrateContainer(
        {
          engine: {
            engine: parseEngineName(flags.engine),
            mode: flags.mode,
            modelPath: flags.model,
            limits: { cpus, memoryBytes: parseBytes(flags.memory) },
            engineArgs: [],
            runId,
          },
          modelLabel: flags.model,
          policy: settings.policy,
          windowMs: settings.windowMs,
          soakMs: settings.soakMs,
          resultDir,
        },
        ports,
        { signal: context.signal, progress: context.progress },
      );
      context.stdout.write(`${formatCalibrationTable(result)}\n\n`);
      context.stdout.write(
        `${result.rateKey}: ${result.rate!.toFixed(3)} requests/s (${result.tokensPerS?.toFixed(1) ?? '?'} output tokens/s), ` +
          `${result.held === false ? 'soak did not hold' : 'soak held'}\n${result.reason}\nreport: ${resultDir}\n`,
      );
    });
}
