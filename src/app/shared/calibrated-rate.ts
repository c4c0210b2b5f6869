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

/** `--rate calibrated` of an open-loop `kitt run`: the request rate the calibration stands for. */
export interface CalibratedRequestRate {
  readonly requestsPerS: number;
  /** How it was derived, for the run's log. */
  readonly note: string;
}

/**
 * The calibrated rate for this engine and limits as requests/s of this run's requests: the
 * calibrated tokens/s (tokenRateOf) over this run's prompt + output tokens, so that a run of other
 * request sizes still offers the tokens/s the container sustained. With a dataset (sizes unknown
 * before the run) the calibrated requests/s is used as it was measured. Undefined when config
 * holds no rate for the key (or only a tokens/s rate, with a dataset).
 */
export function calibratedRequestRate(
  rates: Readonly<Record<string, ConfiguredRate>>,
  key: string,
  request: { readonly inputTokens: number; readonly outputTokens: number } | null,
): CalibratedRequestRate | undefined {
  const configured = rates[key];
  if (!configured) return undefined;
  const tokens = tokenRateOf(configured);
  const calibratedRequests = configured.unit === 'tokens/s' ? undefined : configured.value;
  const from = `compute.rates["${key}"] = ${configured.value} ${configured.unit}`;
  if (!request) {
    // a tokens/s rate cannot become requests/s before the dataset's sizes are known: none
    if (calibratedRequests === undefined) return undefined;
    return { requestsPerS: calibratedRequests, note: `${from}, used as measured (dataset prompts)` };
  }
  const perRequest = request.inputTokens + request.outputTokens;
  const requestsPerS = Number((tokens.tokensPerS / perRequest).toPrecision(4));
  return {
    requestsPerS,
    note: `${from}: ${Number(tokens.tokensPerS.toPrecision(4))} tokens/s over ${perRequest} tokens a request (${request.inputTokens} prompt + ${request.outputTokens} output) = ${requestsPerS} requests/s`,
  };
}
