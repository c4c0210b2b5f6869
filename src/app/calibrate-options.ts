import type { CalibrationPolicy } from '../calibrate/plan-next-window.js';
import type { CalibrationObjective, LatencySlo } from '../calibrate/window-verdict.js';
import { KittError } from '../core/errors.js';
import { parseDurationMs } from '../core/units.js';

/** `80-90` → { low: 80, high: 90 }: percent of the container's CPU limit. */
export function parseCpuBand(text: string): { low: number; high: number } {
  const match = /^\s*(\d+(?:\.\d+)?)\s*%?\s*-\s*(\d+(?:\.\d+)?)\s*%?\s*$/.exec(text);
  const low = Number(match?.[1]);
  const high = Number(match?.[2]);
  if (!match || !(low > 0) || !(high > low) || high > 100) {
    throw new KittError('USAGE', `"${text}" is not a CPU band`, {
      hint: 'write LOW-HIGH in percent of the CPU limit, e.g. --target-cpu 80-90',
    });
  }
  return { low, high };
}

const SLO_NAMES: Record<string, keyof LatencySlo> = {
  ttft: 'ttftP95Ms',
  'ttft-p95': 'ttftP95Ms',
  'ttft-p99': 'ttftP99Ms',
  tpot: 'tpotP95Ms',
  'tpot-p95': 'tpotP95Ms',
  'tpot-p99': 'tpotP99Ms',
};

/** `ttft=500ms,tpot=50ms` (p95 by default; `ttft-p99=1s` for p99). */
export function parseSlo(text: string): LatencySlo {
  const slo: Record<string, number> = {};
  for (const part of text.split(',').filter((p) => p.trim().length > 0)) {
    const [name, value] = part.split('=').map((s) => s.trim());
    const key = SLO_NAMES[name?.toLowerCase() ?? ''];
    if (!key || !value) {
      throw new KittError('USAGE', `"${part}" is not an SLO term`, {
        hint: `write NAME=DURATION with NAME one of ${Object.keys(SLO_NAMES).join(', ')}, e.g. --slo ttft=500ms,tpot=50ms`,
      });
    }
    slo[key] = parseDurationMs(value);
  }
  if (Object.keys(slo).length === 0) {
    throw new KittError('USAGE', 'the SLO is empty', { hint: 'e.g. --slo ttft=500ms,tpot=50ms' });
  }
  return slo as LatencySlo;
}

export function parseObjective(text: string, slo: LatencySlo | undefined): CalibrationObjective {
  if (text !== 'cpu' && text !== 'slo' && text !== 'both') {
    throw new KittError('USAGE', `unknown objective "${text}"`, { hint: 'use --objective cpu, slo or both' });
  }
  if (text !== 'cpu' && slo === undefined) {
    throw new KittError('USAGE', `objective "${text}" needs a latency SLO`, {
      hint: 'add --slo ttft=500ms,tpot=50ms, or use --objective cpu',
    });
  }
  return text;
}

export interface CalibrateFlags {
  readonly targetCpu: string;
  readonly slo?: string;
  readonly objective: string;
  readonly window: string;
  readonly maxWindows: string;
  readonly soak: string;
  readonly startRate: string;
  readonly maxRate: string;
  /** Half-width of the rate's 95 % interval to reach, percent of the rate: `5` or `5%`. */
  readonly precision?: string;
}

/** Validates every calibration flag and returns the policy and window lengths, or one USAGE error. */
export function calibrationSettingsFrom(flags: CalibrateFlags): {
  policy: CalibrationPolicy;
  windowMs: number;
  soakMs: number;
} {
  const slo = flags.slo === undefined ? undefined : parseSlo(flags.slo);
  const objective = parseObjective(flags.objective, slo);
  const maxWindows = Number(flags.maxWindows);
  const startRate = Number(flags.startRate);
  const maxRate = Number(flags.maxRate);
  if (!Number.isInteger(maxWindows) || maxWindows < 2) {
    throw new KittError('USAGE', `--max-windows must be an integer of at least 2, got "${flags.maxWindows}"`, {
      hint: 'e.g. --max-windows 10',
    });
  }
  if (!(startRate > 0) || !(maxRate >= startRate)) {
    throw new KittError('USAGE', `rates must satisfy 0 < --start-rate <= --max-rate`, {
      hint: 'e.g. --start-rate 0.5 --max-rate 200 (requests/s)',
    });
  }
  const soakMs = parseDurationMs(flags.soak);
  const precision = flags.precision === undefined ? undefined : parsePrecision(flags.precision, objective);
  return {
    policy: {
      objective,
      cpuBand: parseCpuBand(flags.targetCpu),
      slo,
      startRate,
      minRate: startRate / 64,
      maxRate,
      maxWindows,
      soak: soakMs > 0,
      ...(precision === undefined ? {} : { precision }),
    },
    windowMs: parseDurationMs(flags.window),
    soakMs,
  };
}

/** `5` or `5%` → 0.05: the interval half-width to reach, relative to the rate. */
function parsePrecision(text: string, objective: CalibrationObjective): number {
  const percent = Number(text.trim().replace(/\s*%$/, ''));
  if (!(percent > 0 && percent < 100)) {
    throw new KittError('USAGE', `--precision must be a percentage between 0 and 100, got "${text}"`, {
      hint: 'e.g. --precision 5 (the 95 % interval within ±5 % of the rate)',
    });
  }
  if (objective !== 'cpu') {
    throw new KittError('USAGE', `--precision is for the CPU band, not objective "${objective}"`, {
      hint: 'use --precision with --objective cpu',
    });
  }
  return percent / 100;
}
