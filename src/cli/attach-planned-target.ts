import { type AttachedTarget, attachTarget } from '../app/shared/attach-target.js';
import type { TargetPlan } from '../app/shared/target-options.js';
import type { EngineRequest } from '../engines/engine.js';
import type { CliContext } from './cli-context.js';

/** A plan's engine after its target (if any) was attached. */
export interface AttachedPlan {
  readonly attached: AttachedTarget | undefined;
  /** With a target: the plan's record of it, naming the engine recognised and the model it serves. */
  readonly engine: EngineRequest;
}

/**
 * Attaches the server a plan targets, before anything is measured, and fills in the engine and
 * model the plan could only learn from the server; without a target the plan's engine is kept.
 */
export async function attachPlannedTarget(
  plan: { readonly engine: EngineRequest; readonly target?: TargetPlan },
  context: Pick<CliContext, 'env' | 'signal'>,
): Promise<AttachedPlan> {
  if (!plan.target) return { attached: undefined, engine: plan.engine };
  const attached = await attachTarget(plan.target, context.env, context.signal);
  return {
    attached,
    engine: { ...plan.engine, engine: attached.record.engine, modelPath: attached.record.servedModel },
  };
}
