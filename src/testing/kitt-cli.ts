import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TestContext } from 'node:test';

/** The CLI entry, run from source through tsx as a person would run the built one. */
export const KITT_ENTRY = resolve(import.meta.dirname, '..', 'cli', 'entry.ts');

/** The environment without any KITT_* or MODEL_PATH the developer's shell may carry. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith('KITT_') && key !== 'MODEL_PATH'),
  );
  return { ...clean, ...extra };
}

export interface KittResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function kittSync(
  args: readonly string[],
  env: Record<string, string>,
  options: { cwd?: string; timeoutMs?: number } = {},
): KittResult {
  const result = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), KITT_ENTRY, ...args], {
    cwd: options.cwd ?? process.cwd(),
    env: cleanEnv(env),
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 120_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Starts kitt in the background; the test kills it if it is still running at the end. */
export function kittSpawn(
  t: TestContext,
  args: readonly string[],
  env: Record<string, string>,
): ChildProcess & { output: () => string } {
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), KITT_ENTRY, ...args], {
    env: cleanEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr.on('data', (chunk) => {
    output += chunk;
  });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return Object.assign(child, { output: () => output });
}

export function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolveExit) => child.once('exit', (code, signal) => resolveExit({ code, signal })));
}

export function tempHome(t: TestContext, prefix = 'kitt-home-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * A constant-rate load of 16-token prompts that lasts a minute: long enough that a signal or a
 * fault lands mid-run, whatever the host's speed.
 */
export function minuteLongLoad(options: { rate: number; outputTokens: number; warmup?: number }): string[] {
  return [
    '--load',
    'constant-rate',
    '--rate',
    String(options.rate),
    '--duration',
    '60s',
    ...(options.warmup === undefined ? [] : ['--warmup', String(options.warmup)]),
    '--prompt-tokens',
    '16',
    '--output-tokens',
    String(options.outputTokens),
  ];
}
