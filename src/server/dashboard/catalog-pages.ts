import { html } from 'hono/html';
import type { StoredCalibration, StoredHost } from '../../store/store-types.js';
import { calibrationSections } from './calibration-charts.js';
import { renderChartSections } from './chart-figures.js';
import { formatInstant, formatRate, formatSize } from './format.js';
import type { Html } from './page-layout.js';

const at = (value: unknown, ...path: string[]): unknown =>
  path.reduce<unknown>(
    (current, key) =>
      current !== null && typeof current === 'object' ? (current as Record<string, unknown>)[key] : undefined,
    value,
  );
const text = (value: unknown) => (typeof value === 'string' || typeof value === 'number' ? String(value) : '–');

function gpusOf(hardware: unknown): string {
  const gpus = at(hardware, 'gpu', 'gpus');
  if (!Array.isArray(gpus) || gpus.length === 0) return 'none';
  return gpus.map((gpu) => text(at(gpu, 'name'))).join(', ');
}

/** The hosts page: each fingerprint with what the machine is and a link to its runs. */
export function renderHostsBody(hosts: readonly StoredHost[]): Html {
  if (hosts.length === 0) return html`<h2>Hosts</h2><p>No run has recorded its host yet.</p>`;
  return html`<h2>Hosts</h2><div class="scroll"><table>
<thead><tr><th>Host</th><th>Name</th><th>CPU</th><th class="num">Cores</th><th class="num">Memory</th><th>GPUs</th><th class="num">Runs</th><th>Last run</th></tr></thead>
<tbody>${hosts.map((host) => {
    const memory = at(host.hardware, 'memory', 'totalBytes');
    return html`<tr><td><code title="${host.fingerprint}">${host.fingerprint.slice(0, 12)}</code></td><td>${text(at(host.hardware, 'os', 'hostname'))}</td><td>${text(at(host.hardware, 'cpu', 'model'))}</td><td class="num">${text(at(host.hardware, 'cpu', 'logicalCores'))}</td><td class="num">${typeof memory === 'number' ? formatSize(memory) : '–'}</td><td>${gpusOf(host.hardware)}</td><td class="num"><a href="/runs?host=${host.fingerprint}">${host.runs}</a></td><td>${formatInstant(host.lastRunAt)}</td></tr>`;
  })}</tbody></table></div>`;
}

/**
 * The calibrations page: the rates found, newest first, narrowed to one engine and limits profile,
 * with their history as a chart (and the windows of the latest one, for one profile).
 */
export function renderCalibrationsBody(
  calibrations: readonly StoredCalibration[],
  filter: { readonly engine?: string | undefined; readonly limits?: string | undefined },
): Html {
  const form = html`<form class="filters" method="get" action="/calibrations">
<label>Engine<input name="engine" value="${filter.engine ?? ''}" size="10"></label>
<label>Limits<input name="limits" value="${filter.limits ?? ''}" size="12" placeholder="1cpu-2GiB"></label>
<button type="submit">Filter</button> <a href="/calibrations">clear</a></form>`;
  const table =
    calibrations.length === 0
      ? html`<p>No calibrations match. <code>kitt calibrate</code> records one.</p>`
      : html`<div class="scroll"><table>
<thead><tr><th>Calibrated</th><th>Engine</th><th>Limits</th><th class="num">Rate</th><th>Run</th></tr></thead>
<tbody>${calibrations.map(
          (c) =>
            html`<tr><td>${formatInstant(c.createdAt)}</td><td><a href="/calibrations?engine=${encodeURIComponent(c.engine)}">${c.engine}</a></td><td><a href="/calibrations?engine=${encodeURIComponent(c.engine)}&amp;limits=${encodeURIComponent(c.limitsKey)}">${c.limitsKey}</a></td><td class="num">${formatRate(c.rateValue, c.unit)}</td><td>${c.runId ? html`<a href="/runs/${encodeURIComponent(c.runId)}">${c.runId}</a>` : '–'}</td></tr>`,
        )}</tbody></table></div>`;
  const pick =
    new Set(calibrations.map((c) => `${c.engine}/${c.limitsKey}`)).size > 1
      ? html`<p class="muted">Pick one engine and limits profile in the table to see the windows its latest calibration measured.</p>`
      : '';
  return html`<h2>Calibrations</h2>${form}${table}${renderChartSections(calibrationSections(calibrations))}${pick}`;
}
