/**
 * Whether two runs measured the same thing. What a run was (hardware, engine, model, limits, load)
 * comes from the store; this module only says what differs, so a comparison can warn, or refuse
 * when the model differs (then a faster run says nothing about the engine).
 */

/** The facts of a run that decide whether its figures are comparable with another's. */
export interface RunFacts {
  readonly id: string;
  readonly model: string;
  readonly modelSha256?: string | undefined;
  readonly engine: string;
  readonly mode: string;
  /** The engine's image (containers) or version, where known. */
  readonly engineImage?: string | undefined;
  readonly hardwareFingerprint?: string | undefined;
  readonly limits?: unknown;
  /** The load spec without its prompts: kind, rate or concurrency, requests, duration, ... */
  readonly loadShape?: unknown;
  /** The prompt spec: input and output lengths. */
  readonly prompts?: unknown;
}

export interface Comparability {
  /** Set when the runs must not be compared without --force: the models differ. */
  readonly refusal: string | null;
  /** One line per other difference, naming the fields that differ, e.g. `limits: cpus 2 vs 4`. */
  readonly warnings: readonly string[];
}

/** JSON with sorted keys, so two equal objects print equal whatever their key order. */
function canonical(value: unknown): string {
  if (value === undefined) return 'unknown';
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner !== null && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : inner,
  );
}

const FACTS: ReadonlyArray<[label: string, pick: (facts: RunFacts) => unknown]> = [
  ['hardware fingerprint', (f) => f.hardwareFingerprint],
  ['engine', (f) => `${f.engine} (${f.mode})`],
  ['engine image', (f) => f.engineImage],
  ['limits', (f) => f.limits],
  ['load shape', (f) => f.loadShape],
  ['prompt lengths', (f) => f.prompts],
];

/** Compares a candidate's facts with the baseline's (pure). */
export function judgeComparability(baseline: RunFacts, candidate: RunFacts): Comparability {
  const sameModel =
    baseline.model === candidate.model &&
    (baseline.modelSha256 === undefined ||
      candidate.modelSha256 === undefined ||
      baseline.modelSha256 === candidate.modelSha256);
  const refusal = sameModel
    ? null
    : `runs ${baseline.id} and ${candidate.id} measured different models (${describeModel(baseline)} vs ${describeModel(candidate)})`;
  const warnings: string[] = [];
  for (const [label, pick] of FACTS) {
    const differences = differingFields(pick(baseline), pick(candidate));
    if (differences.length > 0) warnings.push(`${label}: ${differences.join(', ')}`);
  }
  return { refusal, warnings };
}

type Fields = Map<string, string>;

/** A plain object's leaves by dotted path (`warmup.requests`), each as canonical JSON. */
function leaves(value: unknown, prefix = '', into: Fields = new Map()): Fields {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
      leaves(inner, prefix ? `${prefix}.${key}` : key, into);
    }
  } else {
    into.set(prefix, canonical(value));
  }
  return into;
}

/**
 * What differs between two facts: for objects each differing field by its path, `rate 2 vs 4`
 * (`none` where one side lacks it), in the baseline's field order then the candidate's extra
 * ones; for anything else the two values.
 */
function differingFields(baseline: unknown, candidate: unknown): string[] {
  const b = canonical(baseline);
  const c = canonical(candidate);
  if (b === c) return [];
  const isObject = (v: unknown) => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (!isObject(baseline) || !isObject(candidate)) return [`${b} vs ${c}`];
  const before = leaves(baseline);
  const after = leaves(candidate);
  const paths = [...new Set([...before.keys(), ...after.keys()])];
  return paths
    .filter((path) => before.get(path) !== after.get(path))
    .map((path) => `${path} ${before.get(path) ?? 'none'} vs ${after.get(path) ?? 'none'}`);
}

function describeModel(facts: RunFacts): string {
  return facts.modelSha256 ? `${facts.model} sha256 ${facts.modelSha256.slice(0, 12)}` : facts.model;
}
