import type { GenerationTimings } from './generate-text.js';

/** What the server knows at scrape time beyond its own counters. */
export interface MetricsSnapshot {
  readonly requestsProcessing: number;
  readonly requestsDeferred: number;
  readonly decodeCalls: number;
  readonly busySlotsInDecodes: number;
}

interface Metric {
  readonly name: string;
  readonly help: string;
  readonly value: number;
}

/**
 * The server's Prometheus metrics under llama-server's names (tools/server/server-task.cpp,
 * `to_metrics`), so a dashboard or load client reads kitt's embedded engine and llama-server alike.
 * The two throughput gauges, as there, cover the time since the previous scrape.
 */
export class ServerMetrics {
  private promptTokens = 0;
  private promptMs = 0;
  private predictedTokens = 0;
  private predictedMs = 0;
  private maxSequenceTokens = 0;
  private requests = 0;
  private bucket = { promptTokens: 0, promptMs: 0, predictedTokens: 0, predictedMs: 0 };

  /** Counts one finished (or cancelled) request's work. */
  record(timings: GenerationTimings): void {
    this.requests += 1;
    this.promptTokens += timings.prompt_n;
    this.promptMs += timings.prompt_ms;
    this.predictedTokens += timings.predicted_n;
    this.predictedMs += timings.predicted_ms;
    this.maxSequenceTokens = Math.max(this.maxSequenceTokens, timings.prompt_n + timings.predicted_n);
    this.bucket.promptTokens += timings.prompt_n;
    this.bucket.promptMs += timings.prompt_ms;
    this.bucket.predictedTokens += timings.predicted_n;
    this.bucket.predictedMs += timings.predicted_ms;
  }

  /** Prometheus text exposition (version 0.0.4); resets the per-scrape throughput gauges. */
  render(snapshot: MetricsSnapshot): string {
    const perSecond = (tokens: number, ms: number) => (ms > 0 ? (1_000 * tokens) / ms : 0);
    const counters: Metric[] = [
      {
        name: 'prompt_tokens_total',
        help: 'Number of prompt tokens processed, excluding cached tokens',
        value: this.promptTokens,
      },
      { name: 'prompt_tokens_cached_total', help: 'Number of prompt tokens reused from the cache', value: 0 },
      { name: 'prompt_seconds_total', help: 'Total time spent processing prompts', value: this.promptMs / 1_000 },
      { name: 'tokens_predicted_total', help: 'Number of generation tokens processed', value: this.predictedTokens },
      {
        name: 'tokens_predicted_seconds_total',
        help: 'Total time spent generating tokens',
        value: this.predictedMs / 1_000,
      },
      { name: 'n_decode_total', help: 'Total number of llama_decode() calls', value: snapshot.decodeCalls },
      {
        name: 'n_tokens_max',
        help: 'Largest observed sequence length (prompt + generation)',
        value: this.maxSequenceTokens,
      },
      { name: 'requests_total', help: 'Number of completion requests served (kitt)', value: this.requests },
    ];
    const gauges: Metric[] = [
      {
        name: 'prompt_tokens_seconds',
        help: 'Average prompt throughput in tokens/s',
        value: perSecond(this.bucket.promptTokens, this.bucket.promptMs),
      },
      {
        name: 'predicted_tokens_seconds',
        help: 'Average generation throughput in tokens/s',
        value: perSecond(this.bucket.predictedTokens, this.bucket.predictedMs),
      },
      { name: 'requests_processing', help: 'Number of requests processing', value: snapshot.requestsProcessing },
      { name: 'requests_deferred', help: 'Number of requests deferred', value: snapshot.requestsDeferred },
      {
        name: 'n_busy_slots_per_decode',
        help: 'Average number of busy slots per llama_decode() call',
        value: snapshot.busySlotsInDecodes / Math.max(snapshot.decodeCalls, 1),
      },
    ];
    this.bucket = { promptTokens: 0, promptMs: 0, predictedTokens: 0, predictedMs: 0 };
    const lines: string[] = [];
    const add = (type: string, metrics: Metric[]) => {
      for (const metric of metrics) {
        lines.push(`# HELP llamacpp:${metric.name} ${metric.help}`);
        lines.push(`# TYPE llamacpp:${metric.name} ${type}`);
        lines.push(`llamacpp:${metric.name} ${metric.value}`);
      }
    };
    add('counter', counters);
    add('gauge', gauges);
    return `${lines.join('\n')}\n`;
  }
}
