/** True when the pass-through flags already set one of `names` (as `--flag value` or `--flag=value`). */
export function hasFlag(args: readonly string[], ...names: string[]): boolean {
  return args.some((arg) => names.some((name) => arg === name || arg.startsWith(`${name}=`)));
}

/** Default flags the engine gets unless the person passed the same flag through --engine-arg. */
export function withDefaults(
  defaults: ReadonlyArray<readonly [names: readonly string[], values: readonly string[]]>,
  passThrough: readonly string[],
): string[] {
  const out: string[] = [];
  for (const [names, values] of defaults) {
    if (!hasFlag(passThrough, ...names)) out.push(...values);
  }
  return [...out, ...passThrough];
}
