import { KittError } from '../../core/errors.js';
import type { Store, StoredRun } from '../../store/store-types.js';

/** One line of a run list: what a person scans for, not the whole stored document. */
export interface RunListing {
  readonly id: string;
  readonly startedAt: string;
  readonly status: string;
  readonly engine: string;
  readonly mode: string;
  readonly model: string;
  readonly requestsPerS: number | null;
  readonly outputTokensPerS: number | null;
  readonly ttftP50Ms: number | null;
  readonly ttftP99Ms: number | null;
  readonly tpotP50Ms: number | null;
  /** The load's kind (`sweep`, `constant-rate`, ...) from the stored document; null before it finished. */
  readonly loadKind: string | null;
  /** Its level(s): `2,4,8` for a sweep, `4/s`, `8 users`, `1→10/s`; null when unknown. */
  readonly levels: string | null;
  /** Why the run did not give clean figures: its error, the request errors by kind, or the interruption. */
  readonly failureReason: string | null;
  readonly error: string | null;
  readonly resultPath: string | null;
  /** The figures of a `kitt agents` run (its requests are thinks: requestsPerS is thinks/s); null for other runs. */
  readonly agents: AgentsListing | null;
  /** One line of the run's figures for lists and `kitt results show`, whatever its kind. */
  readonly headline: string | null;
  readonly [field: string]: unknown;
}

/** What a list shows of an agents run. */
export interface AgentsListing {
  readonly agents: number | null;
  readonly steps: number | null;
  readonly stepsPerS: number | null;
  readonly thinkTtftP50Ms: number | null;
  readonly thinkTtftP99Ms: number | null;
  /** Prompt + output tokens of the thinks per second. */
  readonly tokensPerS: number | null;
  readonly thinksFailed: number | null;
  readonly maxContexts: number | null;
}

const AGENTS_SCHEMA = 'kitt.agents-metrics.v1';

const numberAt = (value: unknown, ...path: string[]): number | null => {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return null;
    current = (current as Record<string, unknown>)[key];
  }
  return typeof current === 'number' && Number.isFinite(current) ? current : null;
};

/** Headline figures from the stored metrics document (written by the run use case). */
export function toRunListing(run: StoredRun): RunListing {
  const document = run.metrics as { metrics?: unknown; schema?: unknown } | undefined;
  if (document?.schema === AGENTS_SCHEMA) return toAgentsListing(run, document);
  const metrics = document?.metrics;
  const listing = {
    id: run.id,
    startedAt: run.startedAt,
    status: run.status,
    engine: run.engine,
    mode: run.mode,
    model: run.model,
    requestsPerS: numberAt(metrics, 'throughput', 'requestsPerS'),
    outputTokensPerS: numberAt(metrics, 'throughput', 'outputTokensPerS'),
    ttftP50Ms: numberAt(metrics, 'ttftMs', 'p50'),
    ttftP99Ms: numberAt(metrics, 'ttftMs', 'p99'),
    tpotP50Ms: numberAt(metrics, 'tpotMs', 'p50'),
    ...describeStoredLoad(run.metrics),
    failureReason: failureReason(run, metrics),
    error: run.error ?? null,
    resultPath: run.resultPath ?? null,
    agents: null,
  };
  return { ...listing, headline: runHeadline(listing) };
}

const shown = (value: number | null, digits: number, unit = '') =>
  value === null ? '–' : `${value.toFixed(digits)}${unit}`;

function runHeadline(
  listing: Pick<RunListing, 'requestsPerS' | 'outputTokensPerS' | 'ttftP50Ms' | 'ttftP99Ms'>,
): string | null {
  if (listing.requestsPerS === null && listing.ttftP50Ms === null) return null;
  return `${shown(listing.requestsPerS, 2)} req/s, ${shown(listing.outputTokensPerS, 1)} output tokens/s, TTFT p50 ${shown(listing.ttftP50Ms, 1, ' ms')} p99 ${shown(listing.ttftP99Ms, 1, ' ms')}`;
}

/** Output tokens of the thinks over the run: the mean answer × the answers ÷ the duration. */
function outputTokensPerS(document: unknown): number | null {
  const mean = numberAt(document, 'agents', 'outputTokens', 'mean');
  const count = numberAt(document, 'agents', 'outputTokens', 'count');
  const durationS = numberAt(document, 'agents', 'durationS');
  return mean === null || count === null || !durationS ? null : (mean * count) / durationS;
}

/**
 * An agents run as a list shows it: each step sends one think, so thinks/s stand in the requests/s
 * column and think TTFT in the TTFT columns; its load is `agents`, its level the agent count.
 */
function toAgentsListing(run: StoredRun, document: unknown): RunListing {
  const at = (...path: string[]) => numberAt(document, 'agents', ...path);
  const agents: AgentsListing = {
    agents: at('agents'),
    steps: at('steps'),
    stepsPerS: at('stepsPerS'),
    thinkTtftP50Ms: at('thinkTtftMs', 'p50'),
    thinkTtftP99Ms: at('thinkTtftMs', 'p99'),
    tokensPerS: at('tokensPerS'),
    thinksFailed: at('thinks', 'failed'),
    maxContexts: numberAt(document, 'contexts', 'cap'),
  };
  const headline =
    agents.steps === null
      ? null
      : `${agents.steps} steps by ${agents.agents ?? '?'} agents, ${shown(agents.stepsPerS, 2)} steps/s, ` +
        `think TTFT p50 ${shown(agents.thinkTtftP50Ms, 1, ' ms')} p99 ${shown(agents.thinkTtftP99Ms, 1, ' ms')}, ` +
        `${shown(agents.tokensPerS, 1)} tokens/s${agents.maxContexts === null ? '' : `, at most ${agents.maxContexts} in flight`}`;
  return {
    id: run.id,
    startedAt: run.startedAt,
    status: run.status,
    engine: run.engine,
    mode: run.mode,
    model: run.model,
    requestsPerS: agents.stepsPerS,
    outputTokensPerS: outputTokensPerS(document),
    ttftP50Ms: agents.thinkTtftP50Ms,
    ttftP99Ms: agents.thinkTtftP99Ms,
    tpotP50Ms: null,
    loadKind: 'agents',
    levels: agents.agents === null ? null : `${agents.agents} agents`,
    failureReason:
      run.error ??
      (run.status === 'interrupted'
        ? 'interrupted'
        : agents.thinksFailed
          ? `${agents.thinksFailed} of ${agents.steps} thinks failed`
          : null),
    error: run.error ?? null,
    resultPath: run.resultPath ?? null,
    agents,
    headline,
  };
}

type StoredLoad = {
  kind?: unknown;
  rate?: unknown;
  concurrency?: unknown;
  levels?: unknown;
  of?: unknown;
  from?: unknown;
  to?: unknown;
};

/** The load's kind and levels as a list shows them, from the document's `load` (the run's LoadSpec). */
function describeStoredLoad(document: unknown): { loadKind: string | null; levels: string | null } {
  const load = (document as { load?: StoredLoad } | undefined)?.load;
  if (!load || typeof load.kind !== 'string') return { loadKind: null, levels: null };
  const closed =
    load.kind === 'fixed-concurrency' || load.kind === 'ramp-concurrency' || load.of === 'fixed-concurrency';
  const unit = closed ? ' users' : '/s';
  const levels = Array.isArray(load.levels)
    ? `${load.levels.join(',')}${unit}`
    : load.kind === 'synchronous'
      ? '1 user'
      : load.rate !== undefined
        ? `${load.rate}${unit}`
        : load.concurrency !== undefined
          ? `${load.concurrency}${unit}`
          : load.from !== undefined
            ? `${load.from}→${load.to}${unit}`
            : null;
  return { loadKind: load.kind, levels };
}

function failureReason(run: StoredRun, metrics: unknown): string | null {
  if (run.error) return run.error;
  if (run.status === 'interrupted') return 'interrupted';
  const requests = (
    metrics as { requests?: { failed?: number; total?: number; errorsByKind?: Record<string, number> } }
  )?.requests;
  if (!requests?.failed) return null;
  const kinds = Object.entries(requests.errorsByKind ?? {})
    .map(([kind, n]) => `${kind} ${n}`)
    .join(', ');
  return `${requests.failed} of ${requests.total} requests failed (${kinds})`;
}

/**
 * The run id a person means by `prefix`: the id itself, or the one stored id that starts with it.
 * Ambiguous and unknown prefixes are usage errors of one line: the first lists the candidates, the
 * second names `kitt results list`.
 */
export async function resolveRunId(
  store: Pick<Store, 'getRun' | 'listRuns' | 'location'>,
  prefix: string,
): Promise<string> {
  if (await store.getRun(prefix)) return prefix;
  // The store has no prefix query; every run's id is read once (a few thousand rows at most in practice).
  const candidates = (await store.listRuns({ limit: 1_000_000 }))
    .map((run) => run.id)
    .filter((id) => id.startsWith(prefix));
  if (candidates.length === 1) return candidates[0]!;
  if (candidates.length === 0 || prefix === '') {
    throw new KittError('USAGE', `no run ${prefix} in ${store.location}`, {
      hint: 'kitt results list shows the recorded runs',
    });
  }
  const shown = candidates.slice(0, 5).join(', ');
  const more = candidates.length > 5 ? ` and ${candidates.length - 5} more` : '';
  throw new KittError('USAGE', `run id ${prefix} is ambiguous: ${shown}${more}`, {
    hint: 'give more of the id',
  });
}

/** The recorded runs, newest first: what `kitt results list` and the web server's list show. */
export function listRuns(
  store: Pick<Store, 'listRuns'>,
  options: { readonly limit?: number; readonly engine?: string } = {},
): Promise<StoredRun[]> {
  return store.listRuns({
    ...(options.limit !== undefined ? { limit: options.limit } : {}),
    ...(options.engine ? { engine: options.engine } : {}),
  });
}

/** One recorded run, whole; a run the store does not know is a usage error naming where to look. */
export async function showRun(store: Pick<Store, 'getRun' | 'listRuns' | 'location'>, id: string): Promise<StoredRun> {
  const run = await store.getRun(await resolveRunId(store, id));
  if (!run) {
    throw new KittError('USAGE', `no run ${id} in ${store.location}`, {
      hint: 'kitt results list shows the recorded runs',
    });
  }
  return run;
}
