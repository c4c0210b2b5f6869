import { type ReadLimits, requestBounded } from '../../core/bounded-request.js';
import { KittError } from '../../core/errors.js';
import { engineDefinition } from '../../engines/catalog.js';
import type { EngineExit, RunningEngine, StoppedEngine } from '../../engines/engine.js';
import { type Recognition, recognizeEngine } from '../../engines/recognize-engine.js';
import type { LoadTarget, TargetSupports } from '../../load/load-target.js';
import { scrapeMetrics } from '../../load/run-load.js';
import type { TargetApi, TargetPlan } from './target-options.js';

/** What a run records about its target: names only, never a key or a header value. */
export interface TargetRecord {
  readonly url: string;
  readonly api: TargetApi;
  readonly servedModel: string;
  readonly engine: string;
  readonly recognisedBy: Recognition['by'] | 'flag';
  readonly apiKeyEnv?: string;
  readonly headerNames: readonly string[];
}

/** A server kitt measures but did not start: its handle, where the load goes, and what is recorded. */
export interface AttachedTarget {
  readonly engine: RunningEngine;
  /** Carries the headers (the key among them); never serialised. */
  readonly loadTarget: LoadTarget;
  readonly record: TargetRecord;
}

/** /v1/models lists a few models; /api/version is one small object. */
const PROBE_LIMITS: ReadLimits = { maxBytes: 1024 * 1024, deadlineMs: 10_000 };

/** The request headers of every exchange with the target: the --header values and the key. */
function targetHeaders(plan: TargetPlan, env: NodeJS.ProcessEnv): Record<string, string> {
  const key = plan.apiKeyEnv === undefined ? undefined : env[plan.apiKeyEnv];
  return { ...plan.headers, ...(key ? { authorization: `Bearer ${key}` } : {}) };
}

async function probe(url: string, headers: Record<string, string>, signal?: AbortSignal) {
  try {
    return await requestBounded(url, { ...PROBE_LIMITS, headers, ...(signal ? { signal } : {}) });
  } catch (error) {
    if (signal?.aborted) throw signal.reason ?? error;
    const message = error instanceof Error ? error.message : String(error);
    throw new KittError('ENGINE_NOT_READY', `nothing answers at ${new URL(url).origin}: ${message}`, {
      hint: 'start the server first, or correct --target',
    });
  }
}

function refused(status: number, what: string): KittError {
  return new KittError('ENGINE_FAILED', `the target refused ${what} (${status})`, {
    hint: 'name the variable that holds its key with --api-key-env VAR, or pass --header NAME:VALUE',
  });
}

/** The one model the server lists, or an error that says to name it. */
async function listedModel(base: string, headers: Record<string, string>, signal?: AbortSignal): Promise<string> {
  const response = await probe(`${base}/v1/models`, headers, signal);
  if (response.statusCode === 401 || response.statusCode === 403) throw refused(response.statusCode, 'GET /v1/models');
  let ids: string[] = [];
  try {
    const body = JSON.parse(response.body.toString('utf8')) as { data?: Array<{ id?: unknown }> };
    ids = (body.data ?? []).map((model) => model.id).filter((id): id is string => typeof id === 'string');
  } catch {
    // not JSON: no list to choose from
  }
  if (response.statusCode === 200 && ids.length === 1) return ids[0]!;
  const listed = ids.length > 1 ? `lists ${ids.length} models (${ids.slice(0, 5).join(', ')})` : 'lists no model';
  throw new KittError(
    'USAGE',
    `GET /v1/models ${response.statusCode === 200 ? listed : `answered ${response.statusCode}`}`,
    {
      hint: 'name the model requests carry: --served-model NAME',
    },
  );
}

/** Whether Ollama's own API answers (`{"version": "0.x"}`). */
async function ollamaAnswers(base: string, headers: Record<string, string>, signal?: AbortSignal): Promise<boolean> {
  const response = await requestBounded(`${base}/api/version`, {
    ...PROBE_LIMITS,
    headers,
    ...(signal ? { signal } : {}),
  }).catch(() => null);
  if (response?.statusCode !== 200) return false;
  try {
    return typeof (JSON.parse(response.body.toString('utf8')) as { version?: unknown }).version === 'string';
  } catch {
    return false;
  }
}

/**
 * What the load client may rely on: a recognised engine's own capabilities where its definition
 * speaks the OpenAI API, else plain OpenAI streaming (final usage, no ignore_eos, no tokenizer).
 */
function supportsOf(engine: string): TargetSupports {
  if (engine !== 'unknown') {
    const definition = engineDefinition(engine);
    if (definition.loadApi.startsWith('openai-')) {
      const { supports } = definition;
      return {
        ignoreEos: supports.ignoreEos,
        ...(supports.minTokens ? { minTokens: true } : {}),
        tokenize: supports.tokenizePath !== undefined,
        usage: supports.usageInStream ? 'final' : 'none',
        report: supports.report,
      };
    }
  }
  return { ignoreEos: false, tokenize: false, usage: 'final', report: 'none' };
}

function defaultApi(engine: string): TargetApi {
  if (engine === 'unknown') return 'openai-completions';
  const { loadApi } = engineDefinition(engine);
  return loadApi === 'openai-chat' ? 'openai-chat' : 'openai-completions';
}

/** The handle of a server kitt did not start: it never exits on kitt's watch, and stop leaves it running. */
function externalEngine(name: string, baseUrl: string, servedModel: string): RunningEngine {
  const left: EngineExit = {
    exitCode: null,
    signal: null,
    oomKilled: false,
    reason: 'left running (not started by kitt)',
  };
  const stop = async (): Promise<StoppedEngine> => ({ name, exit: left });
  return {
    name,
    mode: 'external',
    api: 'openai',
    baseUrl,
    servedModel,
    handle: baseUrl,
    limits: {},
    // a server that goes away shows as failed requests, not as an engine exit
    exited: new Promise<EngineExit>(() => {}),
    logTail: async () => '',
    stop,
    [Symbol.asyncDispose]: async () => {},
  };
}

/**
 * Attaches a run to a server that runs already: reads its model from GET /v1/models unless named,
 * recognises its engine from its /metrics names (else Ollama's /api/version, else "unknown", still
 * measured), and builds the load target with the headers every exchange with it carries. The key
 * is read from its variable here and goes nowhere but those headers.
 */
export async function attachTarget(
  plan: TargetPlan,
  env: NodeJS.ProcessEnv,
  signal?: AbortSignal,
): Promise<AttachedTarget> {
  const headers = targetHeaders(plan, env);
  const servedModel = plan.servedModel ?? (await listedModel(plan.url, headers, signal));
  const scrape = await scrapeMetrics(plan.url, '/metrics', undefined, headers);
  const metricNames = new Set((scrape?.samples ?? []).map((sample) => sample.name));
  const recognition: Recognition | { engine: string; by: 'flag' } = plan.engineHint
    ? { engine: plan.engineHint, by: 'flag' }
    : recognizeEngine({
        metricNames,
        ollamaVersion: metricNames.size === 0 && (await ollamaAnswers(plan.url, headers, signal)),
      });
  const api = plan.api ?? defaultApi(recognition.engine);
  const loadTarget: LoadTarget = {
    baseUrl: plan.url,
    api,
    model: servedModel,
    supports: supportsOf(recognition.engine),
    headers,
    metricsPath: metricNames.size > 0 ? '/metrics' : null,
  };
  return {
    engine: externalEngine(recognition.engine, plan.url, servedModel),
    loadTarget,
    record: {
      url: plan.url,
      api,
      servedModel,
      engine: recognition.engine,
      recognisedBy: recognition.by,
      ...(plan.apiKeyEnv ? { apiKeyEnv: plan.apiKeyEnv } : {}),
      headerNames: Object.keys(plan.headers),
    },
  };
}
