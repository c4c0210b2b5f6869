import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { kittSync } from '../../testing/kitt-cli.js';

const fixtures = resolve(import.meta.dirname, '..', '..', 'hardware', 'fixtures');

/**
 * A stand-in nvidia-smi that answers both of kitt's questions from recorded outputs: the inventory
 * query (h100x8.csv, first two GPUs) and the `-lms` sampling loop (sample-h100x2.csv).
 */
function fakeNvidiaSmi(dir: string): void {
  const inventory = readFileSync(join(fixtures, 'h100x8.csv'), 'utf8').trim().split('\n').slice(0, 2);
  const samples = readFileSync(join(fixtures, 'sample-h100x2.csv'), 'utf8').trim().split('\n');
  const script = join(dir, 'nvidia-smi');
  writeFileSync(
    script,
    `#!${process.execPath}
const args = process.argv.slice(2);
const lms = args.indexOf('-lms');
if (lms < 0) { process.stdout.write(${JSON.stringify(`${inventory.join('\n')}\n`)}); process.exit(0); }
const tick = () => process.stdout.write(${JSON.stringify(`${samples.join('\n')}\n`)});
tick(); setInterval(tick, Number(args[lms + 1]));
process.on('SIGTERM', () => process.exit(0));
`,
  );
  chmodSync(script, 0o755);
}

test('a run on a host with GPUs samples them into gpu.jsonl and reports energy per output token', async () => {
  const home = mkdtempSync(join(tmpdir(), 'kitt-gpu-run-'));
  const bin = mkdtempSync(join(tmpdir(), 'kitt-gpu-bin-'));
  fakeNvidiaSmi(bin);
  const result = kittSync(
    ['run', '--requests', '6', '--warmup', '0', '--concurrency', '2', '--output-tokens', '24', '--json'],
    { KITT_HOME: home, PATH: `${bin}:${process.env.PATH}` },
    { timeoutMs: 240_000 },
  );
  assert.equal(result.code, 0, result.stderr);
  const { resultDir } = JSON.parse(result.stdout) as { resultDir: string };
  const document = JSON.parse(readFileSync(join(resultDir, 'metrics.json'), 'utf8'));
  assert.ok(document.gpu, 'metrics.json has a gpu summary');
  assert.deepEqual(
    document.gpu.gpus.map((g: { index: number }) => g.index),
    [0, 1],
  );
  // the recorded draws are 145.21 W and 140.37 W: their sum over the window, per output token
  const outputTokens = document.metrics.tokens.outputTotal;
  assert.ok(outputTokens > 0);
  const expected = ((145.21 + 140.37) * document.gpu.windowS) / outputTokens;
  assert.ok(
    Math.abs(document.gpu.joulesPerOutputToken - expected) / expected < 0.05,
    `${document.gpu.joulesPerOutputToken} J/token vs ${expected}`,
  );
  const lines = readFileSync(join(resultDir, 'gpu.jsonl'), 'utf8').trim().split('\n');
  assert.ok(lines.length >= 2, `${lines.length} GPU samples`);
  assert.match(readFileSync(join(resultDir, 'summary.md'), 'utf8'), /J per output token/);
});
