import type { ChartSection, ChartSpec } from '../../export/report/chart-spec.js';
import type { CalibrationData } from '../../export/report/report-data.js';
import { calibrationChart } from '../../export/report/resource-charts.js';
import type { StoredCalibration } from '../../store/store-types.js';

/** The history's series: one engine and limits profile in one unit. */
const seriesKey = (c: StoredCalibration) => `${c.engine} ${c.limitsKey} (${c.unit})`;

/**
 * The calibrated rate of each engine and limits profile over time: one series each, a point per
 * calibration at its Unix time (drawn as dates); a series has no value where another's point sits.
 */
export function rateHistoryChart(calibrations: readonly StoredCalibration[]): ChartSpec | null {
  if (calibrations.length === 0) return null;
  const rows = [...calibrations].sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt));
  const keys = [...new Set(rows.map(seriesKey))].sort();
  const units = [...new Set(rows.map((c) => c.unit))];
  return {
    id: 'calibrated-rate-history',
    title: 'Calibrated rate over time',
    note: `The rate each calibration found, per engine and limits profile (${keys.length} shown, ${rows.length} calibrations).`,
    // uPlot draws Unix times in the browser's time zone
    x: { label: 'calibrated at (local time)', time: true },
    y: { label: units.length === 1 ? units[0]! : 'rate' },
    series: keys.map((label) => ({ label, style: 'line' as const })),
    data: [
      rows.map((c) => Date.parse(c.createdAt) / 1000),
      ...keys.map((key) => rows.map((c) => (seriesKey(c) === key ? c.rateValue : null))),
    ],
    thresholds: [],
  };
}

/** The report a calibration stored, when it has the windows the report's chart draws. */
function windowsOf(calibration: StoredCalibration): CalibrationData | null {
  const report = calibration.report as Partial<CalibrationData> | null | undefined;
  if (!report || !Array.isArray(report.windows) || typeof report.rateKey !== 'string') return null;
  return report as CalibrationData;
}

/**
 * The calibrations page's charts: the rate history, and, when the list is one engine and limits
 * profile, the windows its latest calibration measured (the chart of that calibration's report).
 */
export function calibrationSections(calibrations: readonly StoredCalibration[]): ChartSection[] {
  const history = rateHistoryChart(calibrations);
  if (!history) return [];
  const sections: ChartSection[] = [{ title: 'Rate over time', charts: [history] }];
  const profiles = new Set(calibrations.map((c) => `${c.engine}/${c.limitsKey}`));
  const latest = calibrations.reduce((a, b) => (Date.parse(b.createdAt) > Date.parse(a.createdAt) ? b : a));
  const windows = profiles.size === 1 ? calibrationChart(windowsOf(latest)) : null;
  if (windows)
    sections.push({ title: `Windows of the latest calibration (${latest.createdAt.slice(0, 10)})`, charts: [windows] });
  return sections;
}
