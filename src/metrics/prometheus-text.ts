/**
 * A small parser for the Prometheus text exposition format (version 0.0.4), enough to read an
 * engine's counters before and after a run: `name{label="v",...} value [timestamp]` lines, `# TYPE`
 * comments, escaped label values. Histograms and summaries come through as their `_bucket`,
 * `_sum` and `_count` samples.
 */
export interface PromSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface PromScrape {
  readonly samples: readonly PromSample[];
  /** `# TYPE` of each metric family (counter, gauge, histogram, summary, untyped). */
  readonly types: Readonly<Record<string, string>>;
}

export function parsePrometheusText(text: string): PromScrape {
  const samples: PromSample[] = [];
  const types: Record<string, string> = {};
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      const match = /^#\s*TYPE\s+(\S+)\s+(\S+)/.exec(line);
      if (match) types[match[1]!] = match[2]!;
      continue;
    }
    const sample = parseSampleLine(line);
    if (sample) samples.push(sample);
  }
  return { samples, types };
}

function parseSampleLine(line: string): PromSample | null {
  const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line);
  if (!nameMatch) return null;
  const name = nameMatch[0];
  let i = name.length;
  const labels: Record<string, string> = {};
  if (line[i] === '{') {
    i++;
    for (;;) {
      while (line[i] === ' ' || line[i] === ',') i++;
      if (line[i] === '}') {
        i++;
        break;
      }
      const labelMatch = /^([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"/.exec(line.slice(i));
      if (!labelMatch) return null;
      i += labelMatch[0].length;
      let value = '';
      while (i < line.length && line[i] !== '"') {
        if (line[i] === '\\') {
          const next = line[i + 1];
          value += next === 'n' ? '\n' : (next ?? '');
          i += 2;
        } else value += line[i++];
      }
      i++;
      labels[labelMatch[1]!] = value;
    }
  }
  const rest = line.slice(i).trim().split(/\s+/);
  const value = parseValue(rest[0] ?? '');
  return value === null ? null : { name, labels, value };
}

function parseValue(text: string): number | null {
  if (text === '+Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  if (text === 'NaN') return Number.NaN;
  const value = Number(text);
  return text === '' || Number.isNaN(value) ? null : value;
}

/** `name{a="1",b="2"}` with labels sorted: one key per series. */
export function seriesKey(sample: PromSample): string {
  const labels = Object.keys(sample.labels)
    .sort()
    .map((key) => `${key}="${sample.labels[key]}"`);
  return labels.length ? `${sample.name}{${labels.join(',')}}` : sample.name;
}

function isCounterSeries(name: string, types: Readonly<Record<string, string>>): boolean {
  if (types[name] === 'counter') return true;
  if (name.endsWith('_total') || name.endsWith('_count') || name.endsWith('_sum')) return true;
  const family = name.replace(/_(bucket|sum|count|total)$/, '');
  return types[family] === 'counter' || types[family] === 'histogram' || types[family] === 'summary';
}

/**
 * after − before for every counter-like series (counters, `_total`, histogram/summary `_sum`,
 * `_count`, `_bucket`) present in both scrapes. A negative delta (the engine restarted) is dropped.
 */
export function counterDeltas(before: PromScrape, after: PromScrape): Record<string, number> {
  const previous = new Map(before.samples.map((sample) => [seriesKey(sample), sample.value]));
  const deltas: Record<string, number> = {};
  for (const sample of after.samples) {
    if (!isCounterSeries(sample.name, after.types)) continue;
    const prior = previous.get(seriesKey(sample));
    if (prior === undefined || !Number.isFinite(prior) || !Number.isFinite(sample.value)) continue;
    const delta = sample.value - prior;
    if (delta >= 0) deltas[seriesKey(sample)] = delta;
  }
  return deltas;
}
