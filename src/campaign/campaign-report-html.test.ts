import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ReportCell } from './campaign-matrix.js';
import { renderCampaignHtml } from './campaign-report-html.js';

function cell(position: number, limits: string, ttftP50: number): ReportCell {
  return {
    cellId: `cell${position}`,
    position,
    labels: { model: 'tiny.gguf', engine: 'llamacpp/docker', limits, load: 'fixed-concurrency concurrency=4' },
    repeat: 1,
    state: 'succeeded',
    figures: { throughput: null, ttftP50, ttftP99: null, tpotP50: null, goodput: [] },
    sloMet: [],
  };
}

/** The background hues of the TTFT p50 table's entries, in row order. */
function ttftHues(cells: readonly ReportCell[]): (number | null)[] {
  const html = renderCampaignHtml({ id: 'c', name: 'c', slos: [], cells, generatedAt: '2026-12-02T00:00:00Z' });
  const table = html.slice(html.indexOf('TTFT p50'), html.indexOf('TTFT p99'));
  return [...table.matchAll(/<td class="num"([^>]*)>/g)].map((match) => {
    const hue = /hsl\((\d+),/.exec(match[1]!);
    return hue ? Number(hue[1]) : null;
  });
}

test('the heat map paints the best latency green and the worst red', () => {
  assert.deepEqual(ttftHues([cell(0, '1cpu', 100), cell(1, '2cpu', 50)]), [0, 120]);
});

test('a table with one value, or only equal ones, has no best or worst and is not colored', () => {
  assert.deepEqual(ttftHues([cell(0, '1cpu', 166)]), [null]);
  assert.deepEqual(ttftHues([cell(0, '1cpu', 80), cell(1, '2cpu', 80)]), [null, null]);
});

test('a succeeded cell without a figure says why under the table, once, and a table without gaps has no note', () => {
  const cluster = { ...cell(0, '1cpu', 80), figuresNote: 'run on a cluster: no joined throughput' };
  const html = renderCampaignHtml({
    id: 'c',
    name: 'c',
    slos: [],
    cells: [cluster, { ...cluster, cellId: 'cell1', position: 1, labels: { ...cluster.labels, limits: '2cpu' } }],
    generatedAt: '2026-12-02T00:00:00Z',
  });
  assert.equal(html.match(/<p class="note">– run on a cluster: no joined throughput<\/p>/g)?.length, 3, html);
  const ttft = html.slice(html.indexOf('TTFT p50'), html.indexOf('TTFT p99'));
  assert.doesNotMatch(ttft, /class="note"/);
});
