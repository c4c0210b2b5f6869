import { join } from 'node:path';
import { redactUrl, SECRET_MASK, Secret } from '../core/secret.js';
import { formatKeyPath } from './config-issues.js';
import { SECRET_KEYS } from './config-schema.js';
import type { ConfigSource, LoadedConfig } from './load-config.js';

/** One line of `kitt config show`: a leaf key, its value as printed, and where it came from. */
export interface ConfigEntry {
  readonly keyPath: string;
  readonly value: unknown;
  readonly source: ConfigSource;
}

// The loader has wrapped every secret already (a Secret prints as the mask or the redacted URL);
// the key names and the URL check stay as a second guard for values built by hand.
function maskValue(keys: readonly string[], value: unknown): unknown {
  const last = keys[keys.length - 1] ?? '';
  if (value instanceof Secret) return value.toString();
  if (SECRET_KEYS.has(last) && typeof value === 'string' && value.length > 0) return SECRET_MASK;
  if (typeof value === 'string' && last === 'url') return redactUrl(value);
  return value;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && [Object.prototype, null].includes(Object.getPrototypeOf(value));
const isEmptyObject = (value: unknown) => isPlainObject(value) && Object.keys(value).length === 0;

function walk(value: unknown, keys: string[], out: Array<[string[], unknown]>): void {
  if (isPlainObject(value) && Object.keys(value).length > 0) {
    for (const [key, inner] of Object.entries(value)) walk(inner, [...keys, key], out);
  } else if (value !== undefined && keys.length > 0) {
    out.push([keys, value]);
  }
}

function sourceFor(keyPath: string, sources: Readonly<Record<string, ConfigSource>>): ConfigSource {
  let best: string | undefined;
  for (const known of Object.keys(sources)) {
    const covers = keyPath === known || keyPath.startsWith(`${known}.`) || keyPath.startsWith(`${known}[`);
    if (covers && (best === undefined || known.length > best.length)) best = known;
  }
  return best === undefined ? 'default' : sources[best]!;
}

/**
 * Every effective leaf value with its origin, secrets masked (`token`, `password`, and the password
 * in a URL), in config order. `home` comes first: it is not a key of the file but decides where the
 * store, models and results live.
 */
export function describeConfig(loaded: LoadedConfig): ConfigEntry[] {
  const leaves: Array<[string[], unknown]> = [];
  walk(loaded.config, [], leaves);
  // empty sections say nothing; the store's default location does
  const shown = leaves.filter(([, value]) => !isEmptyObject(value));
  if (loaded.config.store.url === undefined) {
    shown.push([['store', 'url'], join(loaded.home, 'kitt.db')]);
  }
  return [
    { keyPath: 'home', value: loaded.home, source: loaded.homeSource },
    ...shown.map(([keys, value]) => {
      const keyPath = formatKeyPath(keys);
      return { keyPath, value: maskValue(keys, value), source: sourceFor(keyPath, loaded.sources) };
    }),
  ];
}

/** The effective config as one JSON-ready object, secrets masked, with the sources beside it. */
export function describeConfigJson(loaded: LoadedConfig): {
  file: string | null;
  home: string;
  config: unknown;
  sources: Record<string, ConfigSource>;
} {
  const mask = (value: unknown, keys: string[]): unknown => {
    if (isPlainObject(value)) {
      return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, mask(inner, [...keys, key])]));
    }
    return maskValue(keys, value);
  };
  const entries = describeConfig(loaded);
  return {
    file: loaded.file ?? null,
    home: loaded.home,
    config: mask(loaded.config, []),
    sources: Object.fromEntries(entries.map((entry) => [entry.keyPath, entry.source])),
  };
}
