import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Store } from '../store/store-types.js';

export const HOST_A = 'a'.repeat(64);
export const HOST_B = 'b'.repeat(64);

export interface SeededRun {
  readonly id: string;
  readonly engine: string;
  readonly model: string;
  readonly host: string;
  readonly loadKind: string;
  readonly startedAt: string;
}

/**
 * Five finished runs on two hosts, two engines and three load kinds, one a minute from 2026-01-01,
 * each with a result folder: five request records, report.html, requests.csv and stages.csv. The
 * last one failed, with an error, and has no folder. Cheap enough for every server test.
 */
export async function seedRuns(store: Store, root: string): Promise<SeededRun[]> {
  const plan = [
    { engine: 'llamacpp', model: 'tiny.gguf', host: HOST_A, load: { kind: 'constant-rate', rate: 4 } },
    {
      engine: 'llamacpp',
      model: 'tiny.gguf',
      host: HOST_A,
      load: { kind: 'sweep', of: 'fixed-concurrency', levels: [1, 2, 4] },
    },
    { engine: 'vllm', model: 'qwen-0.5b', host: HOST_B, load: { kind: 'fixed-concurrency', concurrency: 8 } },
    { engine: 'vllm', model: 'qwen-0.5b', host: HOST_B, load: { kind: 'constant-rate', rate: 2 } },
    { engine: 'llamacpp', model: 'tiny.gguf', host: HOST_B, load: { kind: 'constant-rate', rate: 16 } },
  ];
  const seeded: SeededRun[] = [];
  for (const [index, run] of plan.entries()) {
    const startedAt = new Date(Date.UTC(2026, 0, 1, 0, index));
    const id = `20260101T00${String(index).padStart(2, '0')}00000Z-run${index}`;
    const failed = index === plan.length - 1;
    const dir = join(root, id);
    if (!failed) {
      mkdirSync(dir, { recursive: true });
      const records = Array.from({ length: 5 }, (_, n) =>
        JSON.stringify({ id: n, ok: true, ttftMs: 10 + n, outputTokens: 16 }),
      );
      writeFileSync(join(dir, 'requests.jsonl'), `${records.join('\n')}\n`);
      writeFileSync(join(dir, 'report.html'), `<!doctype html><title>report ${id}</title>`);
      writeFileSync(join(dir, 'requests.csv'), 'id,ttft_ms\n0,10\n');
      writeFileSync(join(dir, 'stages.csv'), 'stage,requests_per_s\n0,4\n');
      writeFileSync(join(dir, 'metrics.json'), '{}');
    }
    await store.recordRunStarted({
      id,
      startedAt,
      engine: run.engine,
      mode: 'docker',
      model: run.model,
      hardwareFingerprint: run.host,
      hardware: {
        fingerprint: run.host,
        cpu: { model: `cpu of ${run.host.slice(0, 1)}`, logicalCores: 2, arch: 'x64' },
      },
      limits: { cpus: 1, memoryBytes: 2 ** 31 },
      ...(failed ? {} : { resultPath: dir }),
    });
    await store.recordRunFinished(id, {
      status: failed ? 'failed' : 'succeeded',
      finishedAt: new Date(startedAt.getTime() + 30_500),
      ...(failed ? { error: 'engine llamacpp did not get ready within 60s' } : {}),
      metrics: {
        runId: id,
        load: run.load,
        metrics: {
          requests: { total: 5, succeeded: 5, failed: 0, errorsByKind: {} },
          throughput: { requestsPerS: 4.5 + index, outputTokensPerS: 288.123456 },
          ttftMs: { count: 5, p50: 12.3456, p90: 14, p99: 14.9, max: 15 },
          tpotMs: { count: 5, p50: 10.5, p90: 11, p99: 12, max: 12 },
        },
        stages: { stages: [], knee: null },
        crossCheck: { outputTokens: { kitt: 80, engine: 80 } },
        resources: { cpuPercent: { p50: 95 } },
        warnings: index === 1 ? ['a sweep of three levels'] : [],
      },
    });
    seeded.push({
      id,
      engine: run.engine,
      model: run.model,
      host: run.host,
      loadKind: run.load.kind,
      startedAt: startedAt.toISOString(),
    });
  }
  return seeded;
}
