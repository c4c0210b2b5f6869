import type { KittConfig, LimitsConfig } from '../../config/config-schema.js';
import type { OptionIssues } from '../../core/option-issues.js';
import type { EngineName, EngineRequest } from '../../engines/engine.js';
import { type EngineFlags, readEngineRequest } from './engine-options.js';
import { readTargetPlan, type TargetFlags, type TargetPlan, targetEngineRequest } from './target-options.js';

/** What a run measures, read from flags over the config: a server that runs already, or an engine to start. */
export interface EngineOrTarget {
  readonly target?: TargetPlan;
  /** Undefined with a target, or when the engine flags had a problem (it is in the issues). */
  readonly engine?: EngineRequest;
}

/** The configured port of an engine: its own `engines.<name>.port`, else `run.port`. */
function configuredPort(config: KittConfig, engine: EngineName): number | undefined {
  const engines = config.engines as Readonly<Record<string, { port?: number | undefined } | undefined>>;
  return engines[engine]?.port ?? config.run.port;
}

/** `limits`, with the chosen engine profile's `limits` over them (flags go over both). */
function configuredLimits(config: KittConfig, issues: OptionIssues): LimitsConfig {
  const name = config.run.profile;
  if (name === undefined) return config.limits;
  const profile = config.engines.profiles?.[name];
  if (!profile) {
    const known = Object.keys(config.engines.profiles ?? {});
    issues.add(
      `no engine profile "${name}" (run.profile)`,
      known.length > 0 ? `use one of: ${known.join(', ')}` : 'define it under engines.profiles in the config',
    );
    return config.limits;
  }
  return { ...config.limits, ...profile.limits };
}

/**
 * Reads the target and engine flags over the config, every problem into `issues`. When a target
 * is asked for (even one with problems) no engine is read: its flags are problems of their own.
 */
export function readEngineOrTarget(
  flags: EngineFlags & TargetFlags,
  config: KittConfig,
  context: { readonly runId: string; readonly env?: NodeJS.ProcessEnv },
  issues: OptionIssues,
): EngineOrTarget {
  const wantsTarget = (flags.target ?? config.run.target) !== undefined;
  const target = readTargetPlan(flags, config.run, context.env ?? {}, issues);
  if (wantsTarget) return target ? { target } : {};
  const engine = readEngineRequest(
    {
      ...flags,
      engine: flags.engine ?? config.run.engine,
      model: flags.model ?? config.run.model,
      mode: flags.mode ?? config.run.mode,
    },
    {
      runId: context.runId,
      // the config already holds the KITT_* variables, with their place in the precedence
      env: {},
      defaults: { portFor: (name) => configuredPort(config, name), limits: configuredLimits(config, issues) },
    },
    issues,
  );
  return engine ? { engine } : {};
}

/**
 * The engine request of a plan whose issues were thrown: the target's record, or the engine with
 * `defaultParallel()` slots when --parallel did not say.
 */
export function plannedEngineRequest(
  planned: EngineOrTarget,
  runId: string,
  defaultParallel: () => number,
): EngineRequest {
  if (planned.target) return targetEngineRequest(planned.target, runId);
  if (!planned.engine) throw new Error('plannedEngineRequest: the engine flags had problems that were not thrown');
  if (planned.engine.parallel !== undefined) return planned.engine;
  return { ...planned.engine, parallel: defaultParallel() };
}
