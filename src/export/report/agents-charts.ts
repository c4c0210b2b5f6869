import { type ChartSpec, MAX_REQUEST_POINTS, type ThresholdSpec, thinOut } from './chart-spec.js';

/** The metrics.json schema of `kitt agents`, whose runs are steps, not requests. */
export const AGENTS_SCHEMA = 'kitt.agents-metrics.v1';

/** One steps.jsonl line as the report reads it: times in ms since the run's start. */
export interface AgentStepRow {
  readonly agent: number;
  readonly step: number;
  readonly bucketWaitMs: number;
  /** Absent in runs recorded before thinks were capped. */
  readonly contextWaitMs?: number;
  readonly think: {
    readonly sentAtMs: number;
    readonly ttftMs: number | null;
    readonly e2eMs: number;
    readonly promptTokens: number | null;
    readonly outputTokens: number;
    readonly error: unknown;
  };
}

/** The part of an agents metrics.json the report draws and lists. */
export interface AgentsDocument {
  readonly schema: typeof AGENTS_SCHEMA;
  readonly runId?: string;
  readonly agents?: {
    readonly steps?: number;
    readonly durationS?: number;
    readonly stepsPerS?: number | null;
    readonly tokensPerS?: number | null;
    readonly thinkTtftMs?: { readonly p50: number | null; readonly p99: number | null };
    readonly thinkE2eMs?: { readonly p50: number | null; readonly p99: number | null };
    readonly thinks?: { readonly failed?: number };
    readonly context?: {
      readonly series?: ReadonlyArray<{
        readonly step: number;
        readonly meanPromptTokens: number | null;
        readonly maxPromptTokens: number | null;
      }>;
    };
    readonly bucket?: { readonly measuredTokensPerS: number | null } | null;
    readonly contexts?: { readonly cap: number; readonly peakInFlight: number } | null;
  };
  readonly rate?: { readonly tokensPerS?: number; readonly source?: string };
  readonly contexts?: { readonly cap?: number; readonly source?: string };
  readonly cpu?: { readonly band?: { readonly low: number; readonly high: number; readonly from?: string } } | null;
}

/** An agents run's files, parsed. */
export interface AgentsData {
  readonly document: AgentsDocument;
  readonly steps: readonly AgentStepRow[];
}

export function isAgentsDocument(document: Record<string, unknown> | null): boolean {
  return document?.schema === AGENTS_SCHEMA;
}

const seconds = (ms: number) => Math.round(ms) / 1000;
const X_TIME = { label: 'think sent (s since start)' };

/** Steps by send time, thinned evenly past MAX_REQUEST_POINTS. */
function bySend(steps: readonly AgentStepRow[]): AgentStepRow[] {
  return thinOut(
    [...steps].sort((a, b) => a.think.sentAtMs - b.think.sentAtMs),
    MAX_REQUEST_POINTS,
  );
}

/** The charts of an agents run: latency, context growth, pacing waits and tokens per step. */
export function agentsCharts(data: AgentsData): ChartSpec[] {
  const steps = bySend(data.steps);
  if (steps.length === 0) return [];
  const ok = (row: AgentStepRow) => row.think.error === null || row.think.error === undefined;
  const t = steps.map((row) => seconds(row.think.sentAtMs));
  const charts: ChartSpec[] = [
    {
      id: 'agents-think-latency',
      title: 'Think TTFT and E2E',
      note: 'Each think (one streamed chat request) at the time it was sent: time to its first token and to the end of its answer. Failed thinks are gaps.',
      x: X_TIME,
      y: { label: 'ms' },
      series: [
        { label: 'TTFT ms', style: 'points' },
        { label: 'E2E ms', style: 'points' },
      ],
      data: [
        t,
        steps.map((row) => (ok(row) ? row.think.ttftMs : null)),
        steps.map((row) => (ok(row) ? row.think.e2eMs : null)),
      ],
      thresholds: [],
    },
    contextChart(data),
    {
      id: 'agents-pacing-wait',
      title: 'Waits for the bucket and for a context slot',
      note: 'How long each think waited for the token bucket, then for a free context slot (compute.maxContexts), before it was sent.',
      x: X_TIME,
      y: { label: 'ms' },
      series: [
        { label: 'bucket wait ms', style: 'points' },
        { label: 'slot wait ms', style: 'points' },
      ],
      data: [t, steps.map((row) => row.bucketWaitMs), steps.map((row) => row.contextWaitMs ?? 0)],
      thresholds: [],
    },
    {
      id: 'agents-tokens-per-step',
      title: 'Tokens per step',
      note: "Prompt and output tokens of each step's think, as the engine counted them.",
      x: X_TIME,
      y: { label: 'tokens' },
      series: [
        { label: 'prompt tokens', style: 'points' },
        { label: 'output tokens', style: 'points' },
      ],
      data: [
        t,
        steps.map((row) => (ok(row) ? row.think.promptTokens : null)),
        steps.map((row) => (ok(row) ? row.think.outputTokens : null)),
      ],
      thresholds: [],
    },
  ].filter((chart): chart is ChartSpec => chart !== null);
  return charts;
}

/** Prompt tokens per step index (mean and max over agents): how each conversation grew until truncation. */
function contextChart(data: AgentsData): ChartSpec | null {
  const series = [...(data.document.agents?.context?.series ?? [])].sort((a, b) => a.step - b.step);
  if (series.length === 0) return null;
  return {
    id: 'agents-context-length',
    title: 'Context length per step',
    note: 'Prompt tokens each step sent, mean and max over the agents that reached it: the conversation grows by prompt, answer and tool result, and its oldest turns are dropped at --context-limit.',
    x: { label: 'step' },
    y: { label: 'prompt tokens' },
    series: [
      { label: 'mean prompt tokens', style: 'line' },
      { label: 'max prompt tokens', style: 'points' },
    ],
    data: [series.map((p) => p.step + 1), series.map((p) => p.meanPromptTokens), series.map((p) => p.maxPromptTokens)],
    thresholds: [],
  };
}

/** The CPU band of the calibration the run was judged against, as horizontal lines on the CPU chart. */
export function cpuBandThresholds(document: AgentsDocument | null): ThresholdSpec[] {
  const band = document?.cpu?.band;
  if (!band) return [];
  return [
    { label: `band low ${band.low} %`, value: band.low, axis: 'y' },
    { label: `band high ${band.high} %${band.from ? ` (${band.from})` : ''}`, value: band.high, axis: 'y' },
  ];
}

const fixed = (value: number | null | undefined, digits = 1) =>
  value === null || value === undefined ? '–' : value.toFixed(digits);

/** The headline rows of an agents run. */
export function agentsHeadlineRows(document: AgentsDocument): Array<[string, string]> {
  const m = document.agents ?? {};
  return [
    ['steps', `${m.steps ?? '–'} in ${fixed(m.durationS)} s, thinks failed: ${m.thinks?.failed ?? '–'}`],
    ['steps/s', fixed(m.stepsPerS, 2)],
    ['think TTFT p50 / p99', `${fixed(m.thinkTtftMs?.p50)} / ${fixed(m.thinkTtftMs?.p99)} ms`],
    ['think E2E p50 / p99', `${fixed(m.thinkE2eMs?.p50)} / ${fixed(m.thinkE2eMs?.p99)} ms`],
    ['tokens/s (prompt + output)', fixed(m.tokensPerS)],
    ['bucket measured', `${fixed(m.bucket?.measuredTokensPerS)} tokens/s`],
    [
      'rate',
      document.rate?.tokensPerS === undefined
        ? 'unpaced'
        : `${fixed(document.rate.tokensPerS)} tokens/s (${document.rate.source ?? '?'})`,
    ],
    [
      'contexts',
      document.contexts?.cap === undefined
        ? 'not capped'
        : `at most ${document.contexts.cap} thinks in flight (${document.contexts.source ?? '?'}), peak ${m.contexts?.peakInFlight ?? '–'}`,
    ],
  ];
}
