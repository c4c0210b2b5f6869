import {
  type ContextEstimate,
  estimateMaxContexts,
  type KvShape,
  kvBytesFor,
  stepDownContexts,
} from '../../calibrate/estimate-contexts.js';
import type { ContainerSample } from '../../calibrate/summarize-window.js';
import { KittError } from '../../core/errors.js';
import type { Progress } from '../../core/progress.js';
import { formatBytes } from '../../core/units.js';
import { engineDefinition } from '../../engines/catalog.js';
import type { EngineExit, EngineRequest, RunningEngine } from '../../engines/engine.js';
import type { RequestRecord } from '../../metrics/request-record.js';
import { rateKey } from '../shared/calibrated-rate.js';

/** What the contexts phase needs: start the engine, sample its memory, fill its slots, save. */
export interface ContextsPorts {
  startEngine(request: EngineRequest, signal: AbortSignal): Promise<RunningEngine>;
  startSampling(engine: RunningEngine, intervalMs: number): { stop(): Promise<ContainerSample[]> };
  /** `contexts` requests at once, each `promptTokens` in and `outputTokens` out; every record. */
  fillContexts(
    engine: RunningEngine,
    fill: { readonly contexts: number; readonly promptTokens: number; readonly outputTokens: number },
    signal: AbortSignal,
  ): Promise<readonly RequestRecord[]>;
  readKvShape(modelPath: string): Promise<{ shape: KvShape } | { missing: string }>;
  /** Writes compute.maxContexts["<key>"] to config and the result to the store. */
  saveMaxContexts?(result: MeasuredContexts): Promise<void>;
}

export interface ContextsRequest {
  /** The engine as the rate phase ran it; slots and context are set here. */
  readonly engine: EngineRequest;
  /** Tokens of each context (prompt + answer); default: the model's trained context, at most 4096. */
  readonly contextTokens?: number;
  /** Share of the memory limit kept free. */
  readonly margin: number;
  /** Most contexts estimated or verified. */
  readonly ceiling: number;
}

/** One start of the engine with `contexts` slots, every slot filled with a full context at once. */
export interface ContextsVerification {
  readonly contexts: number;
  readonly outcome: 'answered' | 'oom' | 'failed';
  readonly answered: number;
  readonly failed: number;
  readonly peakMemoryBytes: number | undefined;
  readonly fillMs: number;
  readonly reason: string;
}

export interface MeasuredContexts {
  readonly status: 'measured';
  /** `<engine>/<limits>`: the key under compute.maxContexts, as for compute.rates. */
  readonly key: string;
  readonly contextTokens: number;
  /** The largest count verified to answer without OOM (at least the baseline's one). */
  readonly maxContexts: number;
  readonly kvBytesPerToken: number;
  /** One context filled: its peak memory, and that less its KV (weights, buffers, the process). */
  readonly baseline: ContextsVerification & { readonly baselineBytes: number };
  readonly estimate: ContextEstimate & {
    readonly limitBytes: number;
    readonly margin: number;
    /** From the probe fill; null when it did not answer. */
    readonly measuredPerContextBytes: number | null;
  };
  readonly verifications: readonly ContextsVerification[];
  readonly calibratedAt: string;
}

export type ContextsResult =
  | MeasuredContexts
  | { readonly status: 'not-measured'; readonly key: string; readonly reason: string };

/** llama.cpp's own default context per slot (src/engines/llamacpp.ts), the most a context defaults to here. */
const DEFAULT_CONTEXT_CAP = 4096;
/** Answer tokens of each filling request: enough to prove decoding goes on with every slot full. */
const FILL_OUTPUT_TOKENS = 8;
/** Room for the BOS token and tokenizer round-off, so prompt + answer never pass the slot's context. */
const FILL_SLACK_TOKENS = 8;
/** The probe for the per-context slope: enough contexts that their cost stands out of the stats' noise. */
const SLOPE_PROBE_CONTEXTS = 8;
/** The probe and at most four fills at the estimate and below. */
const MAX_VERIFICATIONS = 5;
/** A stats reading comes about once a second: the filled engine is held this long so one lands. */
const HOLD_FILLED_MS = 1500;

/**
 * Why this engine's contexts cannot be sized here, or undefined. kitt sizes the slots of engines
 * whose definition says how (`contextSlots`: llama.cpp's `--parallel` × `--ctx-size`) under a
 * container memory limit; other engines manage their KV cache themselves (vLLM's
 * gpu-memory-utilization, Ollama's num_parallel).
 */
export function contextsUnsupported(request: EngineRequest): string | undefined {
  const slots = engineDefinition(request.engine).contextSlots;
  if (!slots)
    return `kitt sizes the slots of engines with parallel slots × context (llama.cpp), not ${request.engine}'s`;
  if (request.mode !== 'docker') return `the memory limit is enforced in --mode docker only, not ${request.mode}`;
  if (request.limits.memoryBytes === undefined) return 'there is no memory limit to fit (--memory)';
  const flag = request.engineArgs.find((arg) => slots.ownFlags.includes(arg.split('=')[0]!));
  if (flag) return `--engine-arg ${flag} sets the slots or context itself`;
  return undefined;
}

/**
 * The largest number of full contexts that fit the container's memory limit, measured: fill one
 * context, then eight, to read the memory one takes and what each further one adds (never less than
 * its KV from the model's shape); estimate the count (estimateMaxContexts); then start the engine
 * with that many slots, fill every one at once and step down (¾) after each OOM or failure until
 * one answers whole.
 */
export async function calibrateContexts(
  request: ContextsRequest,
  ports: ContextsPorts,
  options: { readonly signal: AbortSignal; readonly progress: Progress },
): Promise<ContextsResult> {
  const key = rateKey(request.engine.engine, request.engine.limits);
  const unsupported = contextsUnsupported(request.engine);
  if (unsupported) return { status: 'not-measured', key, reason: unsupported };
  const read = await ports.readKvShape(request.engine.modelPath);
  if ('missing' in read) return { status: 'not-measured', key, reason: `the model's metadata lacks ${read.missing}` };
  const { shape } = read;
  const contextTokens =
    request.contextTokens ?? Math.min(shape.trainedContext ?? DEFAULT_CONTEXT_CAP, DEFAULT_CONTEXT_CAP);
  const limitBytes = request.engine.limits.memoryBytes!;
  const ceiling = Math.min(request.ceiling, engineDefinition(request.engine.engine).contextSlots!.maxSlots);
  const verify = (contexts: number) => verifyContexts(request.engine, contexts, contextTokens, ports, options);
  const one = await verify(1);
  if (one.outcome !== 'answered' || one.peakMemoryBytes === undefined) {
    return {
      status: 'not-measured',
      key,
      reason:
        one.outcome === 'answered'
          ? 'no memory reading came while one context was filled'
          : `one context of ${contextTokens} tokens: ${one.reason}`,
    };
  }
  // a second fill measures what each further context costs, KV and per-slot buffers together
  const probeContexts = Math.min(SLOPE_PROBE_CONTEXTS, ceiling);
  const probe = probeContexts > 1 ? await verify(probeContexts) : undefined;
  const probed = probe?.outcome === 'answered' && probe.peakMemoryBytes !== undefined;
  const measuredPerContextBytes = probed
    ? Math.max(0, (probe.peakMemoryBytes! - one.peakMemoryBytes) / (probeContexts - 1))
    : undefined;
  const perContext = Math.max(kvBytesFor(shape, 1, contextTokens), measuredPerContextBytes ?? 0);
  // memory(n) = baseline + n × per-context, through the one-context reading
  const baselineBytes = Math.max(0, one.peakMemoryBytes - perContext);
  const estimated = estimateMaxContexts(shape, {
    limitBytes,
    baselineBytes,
    contextTokens,
    margin: request.margin,
    ceiling,
    ...(measuredPerContextBytes === undefined ? {} : { measuredPerContextBytes }),
  });
  // a failed probe bounds the estimate from above, whatever the arithmetic says
  const estimate =
    probe && !probed ? { ...estimated, contexts: Math.min(estimated.contexts, probeContexts - 1) } : estimated;
  options.progress.info(
    `contexts: baseline ${formatBytes(baselineBytes)}, ${formatBytes(estimate.perContextBytes)} a context of ${contextTokens} tokens ` +
      `(KV ${formatBytes(estimate.kvBytesPerContext)}${measuredPerContextBytes === undefined ? '' : `, measured ${formatBytes(measuredPerContextBytes)}`}): ` +
      `${estimate.contexts} estimated to fit ${Math.round((1 - request.margin) * 100)} % of ${formatBytes(limitBytes)}${estimate.capped ? ' (the ceiling)' : ''}`,
  );
  const verifications: ContextsVerification[] = probe ? [probe] : [];
  // the fills so far proved one context fits, and the probe's count when it answered
  let verified = probed ? probeContexts : 1;
  let contexts = estimate.contexts;
  while (contexts > verified && verifications.length < MAX_VERIFICATIONS) {
    const attempt = await verify(contexts);
    verifications.push(attempt);
    if (attempt.outcome === 'answered') {
      verified = contexts;
      break;
    }
    contexts = stepDownContexts(contexts);
  }
  const result: MeasuredContexts = {
    status: 'measured',
    key,
    contextTokens,
    maxContexts: verified,
    kvBytesPerToken: estimate.kvBytesPerContext / contextTokens,
    baseline: { ...one, baselineBytes },
    estimate: {
      ...estimate,
      limitBytes,
      margin: request.margin,
      measuredPerContextBytes: measuredPerContextBytes ?? null,
    },
    verifications,
    calibratedAt: new Date().toISOString(),
  };
  await ports.saveMaxContexts?.(result);
  return result;
}

/** Starts the engine with `contexts` slots of `contextTokens`, fills them all at once, and always stops it. */
async function verifyContexts(
  base: EngineRequest,
  contexts: number,
  contextTokens: number,
  ports: ContextsPorts,
  options: { readonly signal: AbortSignal; readonly progress: Progress },
): Promise<ContextsVerification> {
  const request: EngineRequest = {
    ...base,
    parallel: contexts,
    engineArgs: [
      ...base.engineArgs,
      engineDefinition(base.engine).contextSlots!.contextFlag,
      String(contexts * contextTokens),
    ],
  };
  options.progress.phase(`contexts: ${contexts} × ${contextTokens} tokens`);
  const outcome = (partial: Omit<ContextsVerification, 'contexts'>): ContextsVerification => {
    options.progress.end(`${partial.outcome}: ${partial.reason}`);
    return { contexts, ...partial };
  };
  let engine: RunningEngine;
  try {
    engine = await ports.startEngine(request, options.signal);
  } catch (error) {
    if (options.signal.aborted || !(error instanceof KittError)) throw error;
    const oom = error.code === 'OOM_KILLED';
    if (!oom && error.code !== 'ENGINE_NOT_READY' && error.code !== 'ENGINE_EXITED') throw error;
    return outcome({
      outcome: oom ? 'oom' : 'failed',
      answered: 0,
      failed: contexts,
      peakMemoryBytes: undefined,
      fillMs: 0,
      reason: `while starting: ${error.message}`,
    });
  }
  let exit: EngineExit | undefined;
  void engine.exited.then((e) => {
    exit = e;
  });
  try {
    const sampler = ports.startSampling(engine, 500);
    const startedAt = performance.now();
    let records: readonly RequestRecord[] = [];
    try {
      records = await ports.fillContexts(
        engine,
        {
          contexts,
          promptTokens: contextTokens - FILL_OUTPUT_TOKENS - FILL_SLACK_TOKENS,
          outputTokens: FILL_OUTPUT_TOKENS,
        },
        options.signal,
      );
    } catch (error) {
      if (options.signal.aborted) throw error;
    }
    const fillMs = performance.now() - startedAt;
    if (!exit) await Promise.race([engine.exited, new Promise((r) => setTimeout(r, HOLD_FILLED_MS))]);
    const samples = await sampler.stop();
    const peakMemoryBytes = samples.length === 0 ? undefined : Math.max(...samples.map((s) => s.memoryBytes ?? 0));
    const answered = records.filter((r) => r.error === null).length;
    const failed = contexts - answered;
    const peak = peakMemoryBytes === undefined ? 'no memory reading' : `peak ${formatBytes(peakMemoryBytes)}`;
    const failedExit = exit as EngineExit | undefined;
    if (failedExit) {
      return outcome({
        outcome: failedExit.oomKilled ? 'oom' : 'failed',
        answered,
        failed,
        peakMemoryBytes,
        fillMs,
        reason: `the engine ended while filled: ${failedExit.reason} (${peak})`,
      });
    }
    if (failed > 0) {
      const kinds = [...new Set(records.flatMap((r) => (r.error ? [r.error.kind] : [])))].join(', ') || 'not sent';
      return outcome({
        outcome: 'failed',
        answered,
        failed,
        peakMemoryBytes,
        fillMs,
        reason: `${failed} of ${contexts} requests failed (${kinds}); ${peak}`,
      });
    }
    return outcome({
      outcome: 'answered',
      answered,
      failed,
      peakMemoryBytes,
      fillMs,
      reason: `all ${contexts} answered in ${(fillMs / 1000).toFixed(1)} s, ${peak}`,
    });
  } finally {
    await engine.stop();
  }
}

/** One line for the terminal and calibration.md. */
export function formatContextsResult(result: ContextsResult): string {
  if (result.status === 'not-measured') return `max contexts for ${result.key}: not measured: ${result.reason}`;
  const tried = result.verifications.map((v) => `${v.contexts} ${v.outcome}`).join(', ');
  return (
    `max contexts for ${result.key}: ${result.maxContexts} × ${result.contextTokens} tokens ` +
    `(estimated ${result.estimate.contexts}${result.estimate.capped ? ', the ceiling' : ''} from a ${formatBytes(result.baseline.baselineBytes)} baseline + ` +
    `${formatBytes(result.estimate.perContextBytes)} a context (KV ${formatBytes(result.estimate.kvBytesPerContext)}) under ${formatBytes(result.estimate.limitBytes)} less ${Math.round(result.estimate.margin * 100)} %; verified: ${tried || 'by the baseline fill'})`
  );
}
