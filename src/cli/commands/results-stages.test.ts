import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { EXIT_CODES } from '../../core/errors.js';
import { parseRecordLine } from '../../metrics/serialize-record.js';
import { openStore } from '../../store/open-store.js';
import { assertWithinHdrPrecision, exactPercentile } from '../../testing/exact-statistics.js';
import { kittSync, tempHome } from '../../testing/kitt-cli.js';

const close = (actual: number | null, exact: number, what: string) => {
  assert.notEqual(actual, null, what);
  assert.ok(Math.abs(actual! - exact) <= Math.abs(exact) * 1e-6 + 1e-6, `${what}: ${actual} vs ${exact}`);
};

test('a 3-level sweep gives three stage rows equal to requests.jsonl, progress off a TTY, and results list/show/export', async (t) => {
  const home = tempHome(t);
  const run = kittSync(
    [
      'run',
      '--load',
      'sweep',
      '--levels',
      '2,4,8',
      '--duration',
      '6s',
      '--prompt-tokens',
      '16',
      '--output-tokens',
      '8',
    ],
    { KITT_HOME: home },
    { timeoutMs: 180_000 },
  );
  assert.equal(run.code, 0, run.stderr);
  const runId = readdirSync(join(home, 'results'))[0]!;
  const dir = join(home, 'results', runId);

  // off a TTY: a line at each stage's start, a readable line every 5 s, one headline per finished stage
  assert.match(run.stderr, /\[kitt\] stage 1\/3 constant-rate 2\/s \(\d+ requests, \d+ s\)\n/);
  assert.match(
    run.stderr,
    /\[kitt\] stage 1\/3 constant-rate 2\/s: \d+\/\d+ done, \d+ in flight, 0 errors, \d+ s left\n/,
  );
  for (const [n, rate] of [
    [1, 2],
    [2, 4],
    [3, 8],
  ]) {
    assert.match(
      run.stderr,
      new RegExp(
        `\\[kitt\\] stage ${n}/3 constant-rate ${rate}/s: \\d+ requests, [\\d.]+ req/s, TTFT p50 [\\d.]+ ms, 0 errors \\([\\d.]+ s\\)\\n`,
      ),
    );
  }

  // metrics.json stages[] against an exact recomputation from requests.jsonl
  const document = JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8'));
  const records = readFileSync(join(dir, 'requests.jsonl'), 'utf8').trim().split('\n').map(parseRecordLine);
  assert.equal(document.stages.stages.length, 3);
  for (const [index, row] of document.stages.stages.entries()) {
    const measured = records.filter((r) => r.stage === index && r.phase === 'measure');
    const ok = measured.filter((r) => r.error === null);
    const startMs = Math.min(...measured.map((r) => r.scheduledAtMs));
    const endMs = Math.max(...measured.map((r) => r.endAtMs));
    const windowS = (endMs - startMs) / 1000;
    assert.equal(row.offered, [2, 4, 8][index]);
    assert.equal(row.requests.total, measured.length);
    assert.equal(row.errors, measured.length - ok.length);
    close(row.windowS, windowS, `stage ${index} window`);
    close(row.requestsPerS, ok.length / windowS, `stage ${index} req/s`);
    close(row.outputTokensPerS, ok.reduce((a, r) => a + r.outputTokens, 0) / windowS, `stage ${index} tok/s`);
    const ends = ok.map((r) => r.endAtMs);
    close(row.achieved, ((ok.length - 1) / (Math.max(...ends) - Math.min(...ends))) * 1000, `stage ${index} achieved`);
    const ttft = ok.map((r) => r.firstContentAtMs! - r.sentAtMs!).sort((a, b) => a - b);
    const e2e = ok.map((r) => r.endAtMs - r.sentAtMs!).sort((a, b) => a - b);
    for (const p of [50, 90, 99] as const) {
      assertWithinHdrPrecision(row.ttftMs[`p${p}`], exactPercentile(ttft, p), `stage ${index} TTFT p${p}`);
      assertWithinHdrPrecision(row.e2eMs[`p${p}`], exactPercentile(e2e, p), `stage ${index} E2E p${p}`);
    }
  }
  assert.ok(document.stages.knee === null || [0, 1, 2].includes(document.stages.knee.stage));
  assert.equal(document.stages.maxGoodput.basis, 'requests-per-s');

  // the console and summary.md: one row per level, then the knee
  for (const text of [run.stdout, readFileSync(join(dir, 'summary.md'), 'utf8')]) {
    assert.match(text, /offered req\/s/);
    assert.match(text, /knee: /);
  }
  assert.equal(run.stdout.match(/^[123] +(2|4|8) +[\d.]+ /gm)?.length, 3, run.stdout);
  assert.match(readFileSync(join(dir, 'summary.md'), 'utf8'), /## Stages[\s\S]*\| 3 \| 8 \|/);
  // CSV beside requests.jsonl
  assert.equal(readFileSync(join(dir, 'requests.csv'), 'utf8').trim().split('\n').length, records.length + 1);
  assert.equal(readFileSync(join(dir, 'stages.csv'), 'utf8').trim().split('\n').length, 4);

  // results list: load, levels, req/s and TTFT
  const list = kittSync(['results', 'list'], { KITT_HOME: home });
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /LOAD +LEVELS +REQ\/S +TTFT P50 MS +TTFT P99 MS +FAILURE/);
  assert.match(list.stdout, new RegExp(`${runId} .* sweep +2,4,8/s +[\\d.]+ +[\\d.]+ +[\\d.]+`));

  // results show by a prefix: the rendered summary, not raw JSON, and where the results are
  const show = kittSync(['results', 'show', runId.slice(0, 12)], { KITT_HOME: home });
  assert.equal(show.code, 0, show.stderr);
  assert.match(show.stdout, new RegExp(`^id +${runId}$`, 'm'));
  assert.match(show.stdout, new RegExp(`^results +${dir}$`, 'm'));
  assert.match(show.stdout, /^report +.*(report\.html|summary\.md)$/m);
  assert.match(show.stdout, /TTFT, send → first content token/);
  assert.match(show.stdout, /offered req\/s/);
  assert.doesNotMatch(show.stdout, /histograms/);

  // results export --csv writes the same files anywhere
  const out = join(home, 'exported');
  const exported = kittSync(['results', 'export', runId.slice(0, 12), '--csv', '--out', out], { KITT_HOME: home });
  assert.equal(exported.code, 0, exported.stderr);
  assert.equal(readFileSync(join(out, 'stages.csv'), 'utf8'), readFileSync(join(dir, 'stages.csv'), 'utf8'));
  assert.equal(readFileSync(join(out, 'requests.csv'), 'utf8'), readFileSync(join(dir, 'requests.csv'), 'utf8'));

  // ambiguous and unknown prefixes are one line each
  {
    await using store = await openStore(join(home, 'kitt.db'));
    for (const id of ['abc-1', 'abc-2']) {
      await store.recordRunStarted({ id, engine: 'embedded', mode: 'embedded', model: 'm' });
      await store.recordRunFinished(id, { status: 'failed', error: 'engine exited' });
    }
  }
  const ambiguous = kittSync(['results', 'show', 'abc'], { KITT_HOME: home });
  assert.equal(ambiguous.code, EXIT_CODES.USAGE);
  assert.equal(ambiguous.stderr.trim().split('\n').length, 1);
  assert.match(ambiguous.stderr, /run id abc is ambiguous: abc-(1|2), abc-(1|2) \(give more of the id\)/);
  const unknown = kittSync(['results', 'export', 'zzz', '--csv'], { KITT_HOME: home });
  assert.equal(unknown.code, EXIT_CODES.USAGE);
  assert.match(unknown.stderr, /no run zzz in .*\(kitt results list shows the recorded runs\)/);
  const failed = kittSync(['results', 'list'], { KITT_HOME: home });
  assert.match(failed.stdout, /abc-1 .* failed .* engine exited/);
});
