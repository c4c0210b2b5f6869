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
  /** One line per other difference, e.g. `limits: {"cpus":2} vs {"cpus":4}`. */
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
    const b = canonical(pick(baseline));
    const c = canonical(pick(candidate));
    if (b !== c) warnings.push(`${label}: ${b} vs ${c}`);
  }
  return { refusal, warnings };
}

function describeModel(facts: RunFacts): string {
  return facts.modelSha256 ? `${facts.model} sha256 ${facts.modelSha256.slice(0, 12)}` : facts.model;
}
