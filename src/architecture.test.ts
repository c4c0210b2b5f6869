import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { test } from 'node:test';

/**
 * The dependency table of STYLE.md, enforced: each domain may import only the domains listed.
 * `app` holds use cases shared by the CLI and the web server; `cli` and `server` are composition roots.
 */
const DOMAINS_UNDER_APP = [
  'core',
  'metrics',
  'load',
  'runtime',
  'models',
  'hardware',
  'config',
  'engines',
  'calibrate',
  'store',
  'export',
  'agents',
  'campaign',
];

const ALLOWED: Record<string, string[]> = {
  core: [],
  metrics: ['core'],
  load: ['core', 'metrics'],
  runtime: ['core'],
  models: ['core'],
  hardware: ['core'],
  config: ['core'],
  engines: ['core', 'runtime', 'metrics', 'models'],
  calibrate: ['core', 'metrics', 'load', 'runtime'],
  store: ['core', 'metrics'],
  export: ['core', 'metrics'],
  agents: ['core', 'metrics', 'load'],
  campaign: ['core', 'metrics', 'load', 'config'],
  app: DOMAINS_UNDER_APP,
  server: [...DOMAINS_UNDER_APP, 'app'],
  cli: [...DOMAINS_UNDER_APP, 'app', 'server'],
  // test helpers may use anything; production code may not import them (no domain lists `testing`)
  testing: [],
};

const srcRoot = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [path] : [];
  });
}

function domainOf(file: string): string {
  return relative(srcRoot, file).split('/')[0] ?? '';
}

test('each domain imports only the domains the dependency table allows', () => {
  const violations: string[] = [];
  for (const file of sourceFiles(srcRoot)) {
    const from = domainOf(file);
    if (from === 'testing' || !(from in ALLOWED)) continue;
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
      const target = domainOf(resolve(join(file, '..'), match[1]!));
      if (target !== from && !ALLOWED[from]!.includes(target)) {
        violations.push(`${relative(srcRoot, file)} imports ${target} (${match[1]})`);
      }
    }
  }
  assert.deepEqual(violations, []);
});

test('every top-level folder under src is a known domain', () => {
  const folders = readdirSync(srcRoot).filter((name) => statSync(join(srcRoot, name)).isDirectory());
  const unknown = folders.filter((name) => !(name in ALLOWED));
  assert.deepEqual(unknown, []);
});

/** Engine names, as the catalog spells them; a test may name them, production code outside engines/ may not. */
const ENGINE_NAME_LITERALS = ['embedded', 'llamacpp', 'vllm', 'ollama', 'exllamav2', 'sglang', 'tgi'];

/** The code of a file without its comments (line and block), so docs and TSDoc may name engines. */
function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

test('no file outside engines/ names an engine in code: it asks the definition for a capability', () => {
  const quoted = new RegExp(`(['"\`])(${ENGINE_NAME_LITERALS.join('|')})\\1`, 'g');
  const violations: string[] = [];
  for (const file of sourceFiles(srcRoot)) {
    const domain = domainOf(file);
    if (domain === 'engines' || domain === 'testing') continue;
    for (const match of withoutComments(readFileSync(file, 'utf8')).matchAll(quoted)) {
      violations.push(`${relative(srcRoot, file)} names ${match[0]}`);
    }
  }
  assert.deepEqual(violations, []);
});

/** Use cases inside app/: run, calibrate, compare, agents and push are separate flows (campaign composes run and compare); what they share lives in shared. */
const APP_USE_CASES: Record<string, string[]> = {
  run: ['shared'],
  calibrate: ['shared'],
  compare: ['shared'],
  agents: ['shared'],
  push: ['shared'],
  // a campaign is a matrix of runs, compared: it composes those two use cases
  campaign: ['shared', 'run', 'compare'],
  shared: [],
};

test('each use case under app imports only itself and app/shared', () => {
  const appRoot = join(srcRoot, 'app');
  const violations: string[] = [];
  const folders = readdirSync(appRoot).filter((name) => statSync(join(appRoot, name)).isDirectory());
  assert.deepEqual(
    folders.sort(),
    Object.keys(APP_USE_CASES).sort(),
    'app holds exactly run, calibrate, compare, agents, campaign, push and shared',
  );
  for (const file of sourceFiles(appRoot)) {
    const from = relative(appRoot, file).split('/')[0]!;
    for (const match of readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
      const target = relative(appRoot, resolve(join(file, '..'), match[1]!));
      if (target.startsWith('..')) continue;
      const to = target.split('/')[0]!;
      if (to !== from && !APP_USE_CASES[from]?.includes(to))
        violations.push(`app/${relative(appRoot, file)} imports app/${target}`);
    }
  }
  assert.deepEqual(violations, []);
});
