import type { ChartSpec, ThresholdSpec } from './chart-spec.js';
import type { CalibrationData, GpuRowData, StatsRowData } from './report-data.js';

const seconds = (ms: number) => Math.round(ms) / 1000;
const MIB = 1024 ** 2;

/**
 * CPU of the limit, throttling and memory, one point per stats.jsonl sample; `cpuBand` (an agents
 * run's calibration band) adds its lines to the CPU chart.
 */
export function resourceCharts(stats: readonly StatsRowData[], cpuBand: readonly ThresholdSpec[] = []): ChartSpec[] {
  if (stats.length === 0) return [];
  const rows = [...stats].sort((a, b) => a.tMs - b.tMs);
  const t = rows.map((r) => seconds(r.tMs));
  const limitMiB = rows.at(-1)!.memoryLimitBytes / MIB;
  return [
    {
      id: 'cpu-over-time',
      title: 'CPU (% of the limit)',
      note: 'CPU the engine used in each sample, as a share of its --cpus limit (of the host when unlimited).',
      x: { label: 'time (s since start)' },
      y: { label: '% of limit' },
      series: [{ label: 'CPU % of limit', style: 'line' }],
      data: [t, rows.map((r) => r.cpuPercentOfLimit)],
      thresholds: [{ label: 'limit', value: 100, axis: 'y' }, ...cpuBand],
    },
    {
      id: 'throttling-over-time',
      title: 'CPU throttling',
      note: 'Time the kernel held the engine back for exceeding its CPU quota, and the CFS periods it happened in, since the previous sample.',
      x: { label: 'time (s since start)' },
      y: { label: 'throttled ms' },
      y2: { label: 'throttled periods' },
      series: [
        { label: 'throttled ms', style: 'bars' },
        { label: 'throttled periods', style: 'line', axis: 'y2' },
      ],
      data: [t, rows.map((r) => r.throttledTimeMs), rows.map((r) => r.throttledPeriods)],
      thresholds: [],
    },
    {
      id: 'memory-over-time',
      title: 'Memory',
      note: 'Memory in use (reclaimable page cache excluded), against the limit.',
      x: { label: 'time (s since start)' },
      y: { label: 'MiB' },
      series: [{ label: 'memory MiB', style: 'line' }],
      data: [t, rows.map((r) => Math.round((r.memoryBytes / MIB) * 10) / 10)],
      thresholds: [{ label: `limit ${Math.round(limitMiB)} MiB`, value: limitMiB, axis: 'y' }],
    },
  ];
}

/** Board power per GPU (gpu.jsonl); each GPU is its own series, null where another GPU's sample sits. */
export function gpuPowerChart(gpu: readonly GpuRowData[]): ChartSpec | null {
  if (gpu.length === 0) return null;
  const rows = [...gpu].sort((a, b) => a.atMs - b.atMs);
  const indices = [...new Set(rows.map((r) => r.index))].sort((a, b) => a - b);
  return {
    id: 'gpu-power-over-time',
    title: 'GPU power',
    note: 'Board power each GPU reported (nvidia-smi power.draw), per sample.',
    x: { label: 'time (s since start)' },
    y: { label: 'W' },
    series: indices.map((index) => ({ label: `GPU ${index} W`, style: 'line' as const })),
    data: [
      rows.map((r) => seconds(r.atMs)),
      ...indices.map((index) => rows.map((r) => (r.index === index ? r.powerW : null))),
    ],
    thresholds: [],
  };
}

/** One point per calibration window: the rate offered and achieved, and CPU of the limit. */
export function calibrationChart(calibration: CalibrationData | null): ChartSpec | null {
  if (!calibration || calibration.windows.length === 0) return null;
  const windows = [...calibration.windows].sort((a, b) => a.index - b.index);
  return {
    id: 'calibration-windows',
    title: `Calibration windows: ${calibration.rateKey}`,
    note: `Each window the controller tried (probe or soak): offered and achieved rate, and the CPU it took. Outcome: ${calibration.outcome}.`,
    x: { label: 'window' },
    y: { label: 'req/s' },
    y2: { label: 'CPU % of limit' },
    series: [
      { label: 'offered req/s', style: 'points' },
      { label: 'achieved req/s', style: 'line' },
      { label: 'CPU % of limit', style: 'line', axis: 'y2' },
    ],
    data: [
      windows.map((w) => w.index),
      windows.map((w) => w.rate),
      windows.map((w) => w.measurement.achievedRate),
      windows.map((w) => w.measurement.cpuPercentOfLimit ?? null),
    ],
    thresholds:
      calibration.rate === undefined
        ? []
        : [{ label: `calibrated ${calibration.rate.toFixed(3)} req/s`, value: calibration.rate, axis: 'y' }],
  };
}
