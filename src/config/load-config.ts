import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { KittError } from '../core/errors.js';
import { homePaths, resolveKittHome } from '../core/kitt-home.js';
import { type ConfigIssue, describeIssues, formatKeyPath } from './config-issues.js';
import { configSchema, DEFAULT_CONFIG, type KittConfig } from './config-schema.js';
import { convertEnvValue, ENV_OVERRIDES } from './env-overrides.js';

/** Where an effective value came from: a default, the file, an environment variable or a flag. */
export type ConfigSource = 'default' | `file:${string}` | `env:${string}` | 'flag';

export interface LoadConfigOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** `--config PATH`: must exist. */
  readonly explicitPath?: string | undefined;
  /** Command-line values by key path (`{ 'run.engine': 'vllm' }` or nested); they win over everything. */
  readonly flags?: Readonly<Record<string, unknown>>;
}

export interface LoadedConfig {
  readonly config: KittConfig;
  /** Origin of every effective leaf value, by key path (`run.engine` → `env:KITT_ENGINE`). */
  readonly sources: Readonly<Record<string, ConfigSource>>;
  /** The file that was read, if any. */
  readonly file: string | undefined;
  /** kitt's home (`KITT_HOME` or `~/.kitt`) and where that came from. */
  readonly home: string;
  readonly homeSource: ConfigSource;
}

type Tree = Record<string, unknown>;

// plain objects only: a Secret is a leaf value, not a subtree to merge into
const isTree = (value: unknown): value is Tree =>
  value !== null && typeof value === 'object' && [Object.prototype, null].includes(Object.getPrototypeOf(value));

/**
 * The config file kitt reads, first found wins: `--config PATH`, `KITT_CONFIG`, `./kitt.yaml`,
 * `<kitt home>/config.yaml`. A path named explicitly (flag or variable) must exist.
 */
export function findConfigFile(options: LoadConfigOptions = {}): { path: string; origin: string } | undefined {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const named: Array<[string | undefined, string]> = [
    [options.explicitPath, '--config'],
    [env.KITT_CONFIG, 'KITT_CONFIG'],
  ];
  for (const [path, origin] of named) {
    if (path === undefined || path.length === 0) continue;
    const absolute = resolve(cwd, path);
    if (!existsSync(absolute)) {
      throw new KittError('CONFIG_INVALID', `config file ${absolute} (from ${origin}) does not exist`, {
        hint: `create it, or point ${origin} at an existing YAML file`,
      });
    }
    return { path: absolute, origin };
  }
  const local = join(cwd, 'kitt.yaml');
  if (existsSync(local)) return { path: local, origin: './kitt.yaml' };
  const inHome = homePaths(resolveKittHome(env)).config;
  if (existsSync(inHome)) return { path: inHome, origin: 'kitt home' };
  return undefined;
}

/** Parses the YAML file into plain data; a syntax error names the file, line and column. */
export function readConfigFile(path: string): Tree {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new KittError('CONFIG_INVALID', `cannot read config file ${path}`, {
      hint: 'check that the file exists and is readable',
      cause,
    });
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, lineCounter });
  const error = doc.errors[0];
  if (error) {
    const at = lineCounter.linePos(error.pos[0]);
    const where = at ? `${path}:${at.line}:${at.col}` : path;
    throw new KittError('CONFIG_INVALID', `${where}: YAML syntax error: ${error.message.split('\n')[0]}`, {
      hint: 'fix the YAML at that line',
      cause: error,
    });
  }
  const data = doc.toJS() as unknown;
  if (data === null || data === undefined) return {};
  if (!isTree(data)) {
    throw new KittError('CONFIG_INVALID', `${path}: the config must be a mapping of keys to values`, {
      hint: 'start the file with keys such as run:, engines: or store:',
    });
  }
  return data;
}

function setIn(tree: Tree, path: readonly string[], value: unknown): void {
  let node = tree;
  for (const key of path.slice(0, -1)) {
    if (!isTree(node[key])) node[key] = {};
    node = node[key] as Tree;
  }
  node[path[path.length - 1]!] = value;
}

/** Deep merge of plain objects; arrays and scalars from `over` replace those in `base`. */
export function mergeConfig<T>(base: T, over: unknown): T {
  if (!isTree(base) || !isTree(over)) return (over === undefined ? base : over) as T;
  const out: Tree = { ...base };
  for (const [key, value] of Object.entries(over)) {
    if (value === undefined) continue;
    out[key] = isTree(out[key]) && isTree(value) ? mergeConfig(out[key], value) : value;
  }
  return out as T;
}

function recordSources(tree: unknown, source: ConfigSource, sources: Record<string, ConfigSource>, path: string[]) {
  if (isTree(tree) && Object.keys(tree).length > 0) {
    for (const [key, value] of Object.entries(tree)) recordSources(value, source, sources, [...path, key]);
    return;
  }
  if (tree === undefined || path.length === 0) return;
  const keyPath = formatKeyPath(path);
  // a layer that replaces a subtree owns everything under it
  for (const known of Object.keys(sources)) {
    if (known.startsWith(`${keyPath}.`) || known.startsWith(`${keyPath}[`)) delete sources[known];
  }
  sources[keyPath] = source;
}

function flagsTree(flags: Readonly<Record<string, unknown>> | undefined): Tree {
  const tree: Tree = {};
  for (const [key, value] of Object.entries(flags ?? {})) {
    if (value === undefined) continue;
    if (isTree(value)) setIn(tree, [key], mergeConfig(isTree(tree[key]) ? tree[key] : {}, value));
    else setIn(tree, key.split('.'), value);
  }
  return tree;
}

function sourceOf(keyPath: string, sources: Record<string, ConfigSource>): ConfigSource | undefined {
  let best: string | undefined;
  for (const known of Object.keys(sources)) {
    const covers = keyPath === known || keyPath.startsWith(`${known}.`) || keyPath.startsWith(`${known}[`);
    const inside = known.startsWith(`${keyPath}.`) || known.startsWith(`${keyPath}[`);
    if ((covers || inside) && (best === undefined || known.length > best.length)) best = known;
  }
  return best === undefined ? undefined : sources[best];
}

function describeSource(source: ConfigSource | undefined, file: string | undefined): string {
  if (source?.startsWith('env:')) return `environment variable ${source.slice(4)}`;
  if (source === 'flag') return 'command-line flag';
  return file ?? 'config';
}

/**
 * Loads the effective config: defaults, then the file, then environment overrides, then flags.
 * Everything but the defaults is validated together; every problem is collected, the first one is
 * the message (file or variable, key path, what is allowed) and all are in `details.issues`.
 */
export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const found = findConfigFile(options);
  const fileTree = found ? readConfigFile(found.path) : {};
  const envTree: Tree = {};
  const sources: Record<string, ConfigSource> = {};
  recordSources(DEFAULT_CONFIG, 'default', sources, []);
  if (found) recordSources(fileTree, `file:${found.path}`, sources, []);
  for (const override of ENV_OVERRIDES) {
    const raw = env[override.name];
    if (raw === undefined || raw.length === 0) continue;
    const value = convertEnvValue(override, raw);
    setIn(envTree, override.keyPath, value);
    recordSources(value, `env:${override.name}`, sources, [...override.keyPath]);
  }
  const flags = flagsTree(options.flags);
  recordSources(flags, 'flag', sources, []);

  const layered = mergeConfig(mergeConfig(fileTree, envTree), flags);
  const parsed = configSchema.safeParse(layered);
  if (!parsed.success) {
    const issues = describeIssues(configSchema, layered, parsed.error.issues);
    throw configError(issues, (issue) => describeSource(sourceOf(issue.keyPath, sources), found?.path));
  }
  const home = resolveKittHome(env);
  return {
    config: mergeConfig(DEFAULT_CONFIG, parsed.data),
    sources,
    file: found?.path,
    home,
    homeSource: env.KITT_HOME ? 'env:KITT_HOME' : 'default',
  };
}

/** One line for the first problem, all of them in details; the hint counts the rest. */
export function configError(issues: readonly ConfigIssue[], where: (issue: ConfigIssue) => string): KittError {
  const first = issues[0]!;
  const more = issues.length > 1 ? `; ${issues.length - 1} more problem${issues.length > 2 ? 's' : ''} after it` : '';
  return new KittError('CONFIG_INVALID', `${where(first)}: ${first.keyPath}: ${first.message}`, {
    hint: `fix ${first.keyPath} in ${where(first)}${more}`,
    details: { issues: issues.map((issue) => ({ ...issue, where: where(issue) })) },
  });
}
