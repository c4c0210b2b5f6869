import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

/**
 * `npm ci` (ensure-built.sh, the Dockerfile) installs only what the committed lock lists and
 * refuses a lock that misses any optional dependency, even another platform's; an `npm install`
 * run where the registry lacks some platform's package writes such a lock. These tests fail the
 * suite before an image build or a fresh clone does.
 */
interface LockEntry {
  readonly version?: string;
  readonly optional?: boolean;
  readonly os?: readonly string[];
  readonly cpu?: readonly string[];
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly devDependencies?: Readonly<Record<string, string>>;
  readonly optionalDependencies?: Readonly<Record<string, string>>;
}

const readJson = (name: string) => JSON.parse(readFileSync(new URL(`../${name}`, import.meta.url), 'utf8'));
const manifest = readJson('package.json');
const lock: { lockfileVersion: number; packages: Record<string, LockEntry> } = readJson('package-lock.json');

/** Where npm resolves `dep` from the package at `from`: its own node_modules, then each parent's. */
function resolveEntry(from: string, dep: string): string | undefined {
  let base = from;
  for (;;) {
    const key = base === '' ? `node_modules/${dep}` : `${base}/node_modules/${dep}`;
    if (lock.packages[key]) return key;
    if (base === '') return undefined;
    const cut = base.lastIndexOf('/node_modules/');
    base = cut < 0 ? '' : base.slice(0, cut);
  }
}

test('the lock records exactly the dependencies package.json declares', () => {
  const root = lock.packages[''];
  assert.equal(lock.lockfileVersion, 3);
  assert.deepEqual(root?.dependencies, manifest.dependencies);
  assert.deepEqual(root?.devDependencies, manifest.devDependencies);
});

test('every optional dependency of every locked package has its own entry, for every platform', () => {
  const missing: string[] = [];
  for (const [key, entry] of Object.entries(lock.packages)) {
    for (const dep of Object.keys(entry.optionalDependencies ?? {})) {
      if (!resolveEntry(key, dep)) missing.push(`${key || '(root)'} → ${dep}`);
    }
  }
  assert.deepEqual(missing, [], 'regenerate with `npm install --package-lock-only` (see README, Development)');
});

test('the native packages of linux x64 and arm64 are locked, marked by os and cpu so npm skips the others', () => {
  const native = [
    '@node-llama-cpp/linux-x64',
    '@node-llama-cpp/linux-arm64',
    '@biomejs/cli-linux-x64',
    '@biomejs/cli-linux-arm64',
    '@esbuild/linux-x64',
    '@esbuild/linux-arm64',
    '@typescript/typescript-linux-x64',
    '@typescript/typescript-linux-arm64',
  ];
  for (const name of native) {
    const entry = lock.packages[`node_modules/${name}`];
    assert.ok(entry?.version, `${name} is not in package-lock.json`);
    assert.equal(entry.optional, true, `${name} is not optional`);
    assert.deepEqual(entry.os, ['linux'], `${name} os`);
    assert.ok(entry.cpu?.includes(name.includes('arm64') ? 'arm64' : 'x64'), `${name} cpu`);
  }
});

test('every platform-specific entry names its os and cpu, so npm ci never fetches it elsewhere', () => {
  const unmarked = Object.entries(lock.packages)
    .filter(([key, entry]) => entry.optional && /(linux|darwin|mac|win32|win|android|freebsd)-/.test(key))
    .filter(([, entry]) => !entry.os?.length || !entry.cpu?.length)
    .map(([key]) => key);
  assert.deepEqual(unmarked, []);
});
