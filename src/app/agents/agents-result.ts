import type { StepRecord } from '../../agents/step-record.js';
import { AGENTS_METRICS_SCHEMA } from '../../agents/summarize-agents.js';
import { KittError } from '../../core/errors.js';
import { formatBytes } from '../../core/units.js';
import type { EngineRequest } from '../../engines/engine.js';
import { writeResultDir, writeResultFile } from '../../export/result-dir.js';
import type { DistributionSummary } from '../../metrics/latency-histogram.js';
import { formatStatsJsonl } from '../../runtime/sample-stats.js';
import type { AgentsOutcome, AgentsRequest, Simulated } from './run-agents.js';

/** metrics.json of an agents run: what the store keeps too. */
export function agentsDocument(outcome: AgentsOutcome): Record<string, unknown> {
  return {
    schema: AGENTS_METRICS_SCHEMA,
    runId: outcome.runId,
    status: outcome.status,
    load: { kind: 'agents', agents: outcome.spec.agents, scenario: outcome.spec.scenario },
    engine: outcome.engine,
    rate: outcome.rate,
    contexts: outcome.contexts,
    calibration: outcome.calibration,
    embedder: outcome.embedder,
    memory: outcome.memory,
    agents: outcome.metrics,
    resources: outcome.resources,
    cpu: outcome.cpu,
    warnings: outcome.warnings,
  };
}

/** One step as steps.jsonl holds it: times in ms from the run's start. */
export function stepLine(record: StepRecord, originMs: number): string {
  const at = (ms: number) => Math.round((ms - originMs) * 1000) / 1000;
  return JSON.stringify({
    ...record,
    startedAtMs: at(record.startedAtMs),
    endedAtMs: at(record.endedAtMs),
    think: { ...record.think, sentAtMs: at(record.think.sentAtMs) },
  });
}

/**
 * Writes metrics.json, steps.jsonl, summary.md, run.json and (when sampled) stats.jsonl, each
 * renamed into place; answers the metrics document.
 */
export async function writeAgentsResult(
  outcome: AgentsOutcome,
  simulated: Simulated,
  context: { readonly request: AgentsRequest; readonly engineRequest: EngineRequest },
): Promise<Record<string, unknown>> {
  const document = agentsDocument(outcome);
  const originMs = simulated.startMs;
  const steps = simulated.records.map((record) => `${stepLine(record, originMs)}\n`).join('');
  const runJson = {
    engine: context.engineRequest,
    agents: outcome.spec,
    config: context.request.config,
    kittVersion: context.request.kittVersion,
    wallAnchor: simulated.origin,
  };
  await writeResultDir(outcome.resultDir, {
    metrics: document,
    summaryMarkdown: renderAgentsMarkdown(outcome),
    extraFiles: {
      'steps.jsonl': steps,
      'run.json': `${JSON.stringify(runJson, null, 2)}\n`,
      ...(simulated.stats && simulated.stats.samples.length > 0
        ? { 'stats.jsonl': formatStatsJsonl(simulated.stats.samples, originMs) }
        : {}),
    },
  });
  return document;
}

/**
 * A `--rate auto` that found no rate has still measured its windows: they go to
 * agents-calibration.json in the result directory, which the error's hint names, so the rates,
 * CPU and verdicts that sent it down are not lost with the run.
 */
export async function keepFailedCalibration(error: unknown, resultDir: string): Promise<unknown> {
  if (!(error instanceof KittError) || error.code !== 'CALIBRATION_FAILED') return error;
  const windows = error.details?.agentsWindows;
  if (!Array.isArray(windows)) return error;
  const file = await writeResultFile(
    resultDir,
    'agents-calibration.json',
    `${JSON.stringify({ outcome: 'failed', reason: error.message, windows }, null, 2)}\n`,
  ).catch(() => undefined);
  if (file === undefined) return error;
  return new KittError(error.code, error.message, {
    hint: `its windows are in ${file}; ${error.hint ?? ''}`.replace(/; $/, ''),
    details: { resultDir },
  });
}

const ms = (value: number | null) =>
  value === null ? '–' : value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${value.toFixed(1)} ms`;
const num = (value: number | null, digits = 1) => (value === null ? '–' : value.toFixed(digits));

function row(name: string, d: DistributionSummary, format: (v: number | null) => string = ms): string {
  return `| ${name} | ${d.count} | ${format(d.p50)} | ${format(d.p90)} | ${format(d.p99)} | ${format(d.max)} |`;
}

/** summary.md: the run at a glance, for people and for `kitt report`. */
export function renderAgentsMarkdown(outcome: AgentsOutcome): string {
  const m = outcome.metrics;
  const bucket = m.bucket;
  const tokens = (v: number | null) => num(v, 0);
  const lines = [
    `# kitt agents ${outcome.runId}`,
    '',
    `${outcome.spec.agents} agents, scenario \`${outcome.spec.scenario}\`, ${outcome.engine.name} (${outcome.engine.mode}), model ${outcome.engine.model}: ${outcome.status}.`,
    '',
    `- steps: ${m.steps} in ${m.durationS.toFixed(1)} s = ${num(m.stepsPerS, 2)} steps/s; thinks failed: ${m.thinks.failed}`,
    `- rate: ${outcome.rate.tokensPerS === undefined ? 'unpaced (--rate off)' : `${outcome.rate.tokensPerS} tokens/s (${outcome.rate.source}, key ${outcome.rate.key})`}`,
    `- contexts: ${outcome.contexts.note}${m.contexts ? `; peak ${m.contexts.peakInFlight} in flight, ${(m.contexts.waitedShare * 100).toFixed(0)} % of thinks waited for a slot` : ''}`,
    ...(outcome.calibration
      ? [
          ...(outcome.calibration.runId
            ? [`- calibrated first (--rate auto): run ${outcome.calibration.runId}, ${outcome.calibration.resultDir}`]
            : []),
          ...(outcome.calibration.agents
            ? [
                `- calibrated by the agents' own traffic: ${outcome.calibration.agents.windows.length} windows, ${Number(outcome.calibration.agents.tokensPerS.toPrecision(4))} tokens/s (${outcome.calibration.agents.reason})`,
              ]
            : []),
        ]
      : []),
    ...(bucket
      ? [
          `- bucket: measured ${num(bucket.measuredTokensPerS)} tokens/s (${bucket.relativeError === null ? '–' : `${(bucket.relativeError * 100).toFixed(1)} %`} off the configured rate); ${(bucket.waitedShare * 100).toFixed(0)} % of thinks waited${bucket.waitedShare < 0.8 ? ', so the engine, not the bucket, set the pace' : ''}`,
        ]
      : []),
    `- tool calls: ${m.toolCalls.model} parsed from answers, ${m.toolCalls.seeded} seeded stand-ins, ${m.toolCalls.none} steps without an act`,
    `- context: ${m.context.droppedTurns} turns dropped by truncation (limit ${outcome.spec.contextLimit} tokens)`,
    `- cached prompt tokens: ${m.cachedPromptTokens === null ? 'not reported by the engine' : `${m.cachedPromptTokens.total} (${num((m.cachedPromptTokens.shareOfPrompt ?? 0) * 100)} % of prompt tokens)`}`,
    `- memory: ${outcome.memory.kind} at ${outcome.memory.location}, ${outcome.memory.before} → ${outcome.memory.after} memories; embeddings ${outcome.embedder.name} (${outcome.embedder.source})`,
    ...(outcome.cpu
      ? [
          `- CPU verdict: ${outcome.cpu.verdict} the ${outcome.cpu.band.low}–${outcome.cpu.band.high} % band (${outcome.cpu.band.from}): mean ${outcome.cpu.meanCpuPercentOfLimit.toFixed(0)} % of the CPU limit`,
        ]
      : []),
    ...(outcome.resources
      ? [
          `- engine resources: CPU mean ${outcome.resources.cpuPercentOfLimit.mean.toFixed(0)} % of its limit (max ${outcome.resources.cpuPercentOfLimit.max.toFixed(0)} %), memory max ${formatBytes(outcome.resources.memoryBytes.max)}, throttled ${outcome.resources.throttledTimeMs.toFixed(0)} ms`,
        ]
      : []),
    '',
    '| | n | p50 | p90 | p99 | max |',
    '|---|---|---|---|---|---|',
    row('think TTFT', m.thinkTtftMs),
    row('think E2E', m.thinkE2eMs),
    row('tokens per step', m.tokensPerStep, tokens),
    row('prompt tokens', m.promptTokens, tokens),
    row('act', m.actMs),
    row('recall', m.recallMs),
    row('remember', m.rememberMs),
    ...(bucket ? [row('bucket wait', bucket.waitMs)] : []),
    ...(m.contexts ? [row('slot wait', m.contexts.waitMs)] : []),
    '',
    '## Context over steps',
    '',
    '| step | agents | mean prompt tokens | max | turns dropped |',
    '|---|---|---|---|---|',
    ...m.context.series.map(
      (p) =>
        `| ${p.step + 1} | ${p.agents} | ${num(p.meanPromptTokens, 0)} | ${num(p.maxPromptTokens, 0)} | ${p.droppedTurns} |`,
    ),
    ...(outcome.warnings.length > 0 ? ['', '## Warnings', '', ...outcome.warnings.map((w) => `- ${w}`)] : []),
    '',
  ];
  return lines.join('\n');
}
