import type { RateChoice } from '../../agents/agents-spec.js';
import type { ConfiguredRate } from '../../config/config-schema.js';
import { KittError } from '../../core/errors.js';
import { tokenRateOf } from '../shared/calibrated-rate.js';

/**
 * The seed's shipped default, `rate: 5`, in the unit it maps `cpus` to: tokens per second
 * (prompt + output). It is conservative on purpose: below what any engine sustains on one CPU core
 * (a 1B model decodes ~10 tokens/s there and prefills several times that), so an uncalibrated run
 * never pushes a container over its limit; it paces agents to a crawl, which is why the warning
 * names `kitt calibrate`.
 */
export const DEFAULT_TOKENS_PER_S = 5;

/**
 * Where `kitt agents --rate auto` keeps the rate the agents' own traffic found, apart from the
 * completions rate of kitt calibrate under `<engine>/<limits>`: a chat think with tools costs an
 * engine more CPU per token than a plain completion, so the two rates differ (docs/agents.md).
 */
export function agentsRateKey(key: string): string {
  return `${key}:agents`;
}

/** The rate the global bucket runs at, and where it came from; undefined tokensPerS: unpaced (`--rate off`). */
export interface ResolvedRate {
  readonly tokensPerS: number | undefined;
  readonly source: 'flag' | 'calibrated' | 'auto' | 'default' | 'off';
  /** The compute.rates key looked up (`embedded/nolimit`). */
  readonly key: string;
  readonly note?: string;
  readonly warning?: string;
}

/** `--rate N|calibrated|auto|off` against compute.rates for the engine and limits in use. */
export function resolveRate(
  choice: RateChoice,
  rates: Readonly<Record<string, ConfiguredRate>>,
  key: string,
): ResolvedRate {
  switch (choice.kind) {
    case 'fixed':
      return { tokensPerS: choice.tokensPerS, source: 'flag', key };
    case 'off':
      return {
        tokensPerS: undefined,
        source: 'off',
        key,
        note: 'no token bucket: thinks go as fast as the engine answers',
      };
    case 'auto':
      // runAgents calibrates first and never asks for it here
      throw new KittError('USAGE', '--rate auto needs a calibration run before the agents', {
        hint: `give --rate N (tokens/s), or run kitt calibrate (it writes compute.rates["${key}"]) and then kitt agents --rate calibrated`,
      });
    case 'calibrated': {
      const agents = rates[agentsRateKey(key)];
      if (agents) {
        const rate = tokenRateOf(agents);
        return {
          tokensPerS: rate.tokensPerS,
          source: 'calibrated',
          key: agentsRateKey(key),
          note: `rate calibrated by agents compute.rates["${agentsRateKey(key)}"] = ${Number(rate.tokensPerS.toPrecision(4))} tokens/s`,
        };
      }
      const configured = rates[key];
      if (!configured) {
        return {
          tokensPerS: DEFAULT_TOKENS_PER_S,
          source: 'default',
          key,
          warning: `no calibrated rate for ${key} (compute.rates["${key}"]): pacing at the conservative default of ${DEFAULT_TOKENS_PER_S} tokens/s; run kitt calibrate with this engine and limits, or give --rate N (tokens/s)`,
        };
      }
      const rate = tokenRateOf(configured);
      return {
        tokensPerS: rate.tokensPerS,
        source: 'calibrated',
        key,
        note: `calibrated rate compute.rates["${key}"]${rate.conversion ? `: ${rate.conversion}` : ''} = ${Number(rate.tokensPerS.toPrecision(4))} tokens/s`,
      };
    }
  }
}
