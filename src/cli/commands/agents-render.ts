import type { AgentPhase } from '../../agents/agent-loop.js';
import type { StepRecord } from '../../agents/step-record.js';
import type { AgentsCalibration } from '../../app/agents/calibrate-agents.js';
import type { AgentsOutcome } from '../../app/agents/run-agents.js';
import type { DistributionSummary } from '../../metrics/latency-histogram.js';
import { plainTable } from '../plain-table.js';

const seconds = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`);

/** `agent 3 think 412 tok 1.8 s → act search(cheap flights) 120 ms`, then what else the step did. */
export function formatStepLine(record: StepRecord): string {
  const { think } = record;
  const tokens = (think.promptTokens ?? 0) + think.outputTokens;
  const thought = think.error
    ? `think failed (${think.error.kind}) ${seconds(think.e2eMs)}`
    : `think ${tokens} tok ${seconds(think.e2eMs)}`;
  const act = record.act
    ? ` → act ${record.act.tool}(${record.act.argument}) ${seconds(record.act.ms)}${record.act.source === 'seeded' ? ' [seeded]' : ''}`
    : ' → no act';
  const extras = [
    record.bucketWaitMs > 0 ? `waited ${seconds(record.bucketWaitMs)}` : undefined,
    record.contextWaitMs > 0 ? `slot ${seconds(record.contextWaitMs)}` : undefined,
    record.recall.hits > 0 ? `recalled ${record.recall.hits}` : undefined,
    record.context.droppedTurns > 0 ? `dropped ${record.context.droppedTurns} turns` : undefined,
  ].filter((part): part is string => part !== undefined);
  return `agent ${record.agent} step ${record.step + 1} ${thought}${act}${extras.length > 0 ? ` · ${extras.join(' · ')}` : ''}`;
}

/** Who does what now, as the live status shows it: `thinking 1,3 · acting 2 · waiting 4`. */
export class AgentPhases {
  private readonly phases = new Map<number, AgentPhase>();

  set(agent: number, phase: AgentPhase): void {
    this.phases.set(agent, phase);
  }

  describe(): string {
    const by = new Map<AgentPhase, number[]>();
    for (const [agent, phase] of [...this.phases.entries()].sort(([a], [b]) => a - b)) {
      if (phase === 'done') continue;
      by.set(phase, [...(by.get(phase) ?? []), agent]);
    }
    const order: AgentPhase[] = ['thinking', 'acting', 'waiting', 'recalling', 'remembering'];
    return order
      .filter((phase) => by.has(phase))
      .map((phase) => `${phase} ${by.get(phase)!.join(',')}`)
      .join(' · ');
  }
}

const ms = (value: number | null) =>
  value === null ? '–' : value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${value.toFixed(1)} ms`;
const count = (value: number | null) => (value === null ? '–' : value.toFixed(0));

function row(name: string, d: DistributionSummary, format: (value: number | null) => string = ms): string[] {
  return [name, String(d.count), format(d.p50), format(d.p99), format(d.max)];
}

/**
 * The rate the bucket let through; when few thinks waited for it, the engine and the tools set the
 * pace, and the line says so instead of reading as a bucket that missed its rate.
 */
function bucketLine(bucket: NonNullable<AgentsOutcome['metrics']['bucket']>): string {
  if (bucket.measuredTokensPerS === null) return '';
  const measured = `${bucket.measuredTokensPerS.toFixed(1)} tokens/s (${((bucket.relativeError ?? 0) * 100).toFixed(1)} %)`;
  const waited = Math.round(bucket.waitedShare * 100);
  return waited >= 80
    ? `, measured ${measured}`
    : `; agents used ${measured}: only ${waited} % of thinks waited for the bucket, the engine set the pace`;
}

/** The end-of-run summary the terminal shows. */
export function renderAgentsOutcome(outcome: AgentsOutcome): string {
  const m = outcome.metrics;
  const bucket = m.bucket;
  const rate =
    outcome.rate.tokensPerS === undefined
      ? 'unpaced'
      : `${Number(outcome.rate.tokensPerS.toPrecision(4))} tokens/s (${outcome.rate.source})`;
  const head = [
    `run ${outcome.runId}: ${outcome.status} — ${m.steps} steps by ${m.agents} agents in ${m.durationS.toFixed(1)} s (${m.stepsPerS?.toFixed(2) ?? '–'} steps/s)`,
    `rate ${rate}${bucket ? bucketLine(bucket) : ''}`,
    `contexts: ${outcome.contexts.cap === undefined ? 'not capped' : `at most ${outcome.contexts.cap} thinks in flight (${outcome.contexts.source})`}${m.contexts ? `, peak ${m.contexts.peakInFlight}, ${Math.round(m.contexts.waitedShare * 100)} % waited for a slot` : ''}`,
    `tool calls: ${m.toolCalls.model} from answers, ${m.toolCalls.seeded} seeded, ${m.toolCalls.none} without act; thinks failed: ${m.thinks.failed}`,
    ...(outcome.cpu
      ? [
          `engine CPU: mean ${outcome.cpu.meanCpuPercentOfLimit.toFixed(0)} % of its limit, ${outcome.cpu.verdict} the ${outcome.cpu.band.low}–${outcome.cpu.band.high} % band (${outcome.cpu.band.from})`,
        ]
      : []),
    `memory: ${outcome.memory.kind} ${outcome.memory.before} → ${outcome.memory.after} (${outcome.embedder.name}); results in ${outcome.resultDir}`,
  ];
  const table = plainTable([
    ['', 'n', 'p50', 'p99', 'max'],
    row('think TTFT', m.thinkTtftMs),
    row('think E2E', m.thinkE2eMs),
    row('tokens/step', m.tokensPerStep, count),
    row('act', m.actMs),
    row('recall', m.recallMs),
    ...(bucket ? [row('bucket wait', bucket.waitMs)] : []),
    ...(m.contexts ? [row('slot wait', m.contexts.waitMs)] : []),
  ]);
  const windows = outcome.calibration?.agents ? `\n${renderAgentsWindows(outcome.calibration.agents)}` : '';
  return `${head.join('\n')}\n\n${table}\n${windows}`;
}

/** The windows `--rate auto` ran with the agents' own traffic, as kitt calibrate prints its windows. */
export function renderAgentsWindows(calibration: AgentsCalibration): string {
  const fmt = (n: number | undefined, digits = 0) => (n === undefined ? '–' : n.toFixed(digits));
  const rows = calibration.windows.map((w, i) => [
    `${i + 1}`,
    w.kind,
    fmt(w.tokensPerS, 1),
    fmt(w.achievedTokensPerS, 1),
    fmt(w.cpuPercentOfLimit, 1),
    fmt(w.meanBucketWaitMs),
    `${w.steps}`,
    w.verdict,
  ]);
  const head = `agents calibration ${calibration.key}: ${Number(calibration.tokensPerS.toPrecision(4))} tokens/s, band ${calibration.cpuBand.low}–${calibration.cpuBand.high} %, windows ${calibration.windowMs / 1000} s, soak ${calibration.soakMs / 1000} s (${calibration.reason})`;
  const table = plainTable([
    ['#', 'kind', 'tokens/s', 'achieved', 'CPU %', 'bucket wait ms', 'steps', 'verdict'],
    ...rows,
  ]);
  return `${head}\n${table}\n`;
}
