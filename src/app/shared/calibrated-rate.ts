import type { ConfiguredRate } from '../../config/config-schema.js';
import { formatBytes } from '../../core/units.js';
import type { EngineName, ResourceLimits } from '../../engines/engine.js';

/** `1cpu-2GiB`, `0.5cpu-512MiB`, `nolimit`: stable names for a limits profile. */
export function limitsKey(limits: ResourceLimits): string {
  const parts = [
    limits.cpus === undefined ? undefined : `${limits.cpus}cpu`,
    limits.memoryBytes === undefined ? undefined : formatBytes(limits.memoryBytes).replace(/\.0 | /g, ''),
  ].filter((p): p is string => p !== undefined);
  return parts.length === 0 ? 'nolimit' : parts.join('-');
}

/** `<engine>/<limits>`, e.g. `llamacpp/1cpu-2GiB`: the key under compute.rates in config. */
export function rateKey(engine: EngineName | string, limits: ResourceLimits): string {
  return `${engine}/${limitsKey(limits)}`;
}

/** The request `kitt calibrate` offers by default: its rate in requests/s is a rate of requests this long. */
export const CALIBRATION_REQUEST = { inputTokens: 128, outputTokens: 64 } as const;

/** A configured rate in tokens/s (prompt + output), and how it was read. */
export interface TokenRate {
  readonly tokensPerS: number;
  /** How a requests/s rate became tokens/s, when it had to. */
  readonly conversion?: string;
}

/**
 * A compute.rates entry in tokens/s. `kitt calibrate` writes requests/s of its own requests
 * (CALIBRATION_REQUEST: 128 prompt + 64 output tokens unless --prompt-tokens/--output-tokens said
 * otherwise, which the config does not record), so requests/s × 192 tokens; an entry written in
 * tokens/s is taken as it is.
 */
export function tokenRateOf(rate: ConfiguredRate): TokenRate {
  if (rate.unit === 'tokens/s') return { tokensPerS: rate.value };
  const perRequest = CALIBRATION_REQUEST.inputTokens + CALIBRATION_REQUEST.outputTokens;
  return {
    tokensPerS: rate.value * perRequest,
    conversion: `${rate.value} requests/s × ${perRequest} tokens per calibration request (${CALIBRATION_REQUEST.inputTokens} prompt + ${CALIBRATION_REQUEST.outputTokens} output)`,
  };
}
