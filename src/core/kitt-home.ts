import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { KittError } from './errors.js';

/** kitt's home: `KITT_HOME`, else `~/.kitt`. Models, the SQLite store and results live under it. */
export function resolveKittHome(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.KITT_HOME && env.KITT_HOME.length > 0 ? env.KITT_HOME : join(homedir(), '.kitt'));
}

/**
 * Creates `dir` and its missing parents, one mkdir each. Node's recursive mkdir loops forever on a
 * path under /proc (each mkdir fails with ENOENT, which it answers by creating the parent again),
 * so kitt walks the path itself: every step either succeeds or fails at once.
 */
export function makeDirs(dir: string): void {
  const missing: string[] = [];
  let current = resolve(dir);
  for (;;) {
    const stat = statOrMissing(current);
    if (stat) {
      if (!stat.isDirectory()) {
        throw Object.assign(new Error(`${current} is a file`), { code: 'ENOTDIR', path: current });
      }
      break;
    }
    missing.push(current);
    const parent = dirname(current);
    if (parent === current) break;
    current = parent;
  }
  for (const path of missing.reverse()) {
    try {
      mkdirSync(path);
    } catch (error) {
      // another kitt made it meanwhile
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}

/** The path's stat, or undefined when nothing is there (or a file stands where a parent folder should). */
function statOrMissing(path: string): ReturnType<typeof statSync> {
  try {
    return statSync(path, { throwIfNoEntry: false });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw error;
  }
}

/**
 * Creates `dir` if needed and proves it writable by writing a file there (an access() check says
 * yes to root on a read-only folder and cannot see read-only mounts), or says how to fix it. The
 * message names KITT_HOME when the folder is the home or lies under it.
 */
export function ensureWritableDir(dir: string, env: NodeJS.ProcessEnv = process.env): string {
  try {
    makeDirs(dir);
    const probe = join(dir, `.kitt-write-check-${process.pid}`);
    writeFileSync(probe, '', { flag: 'w' });
    rmSync(probe, { force: true });
    return dir;
  } catch (cause) {
    const home = resolveKittHome(env);
    const target = resolve(dir);
    const reason = describeFsError(cause);
    if (relative(home, target).startsWith('..')) {
      throw new KittError('HOME_NOT_WRITABLE', `cannot write to ${dir}: ${reason}`, {
        hint: 'pick a writable folder or fix its permissions',
        cause,
      });
    }
    throw new KittError(
      'HOME_NOT_WRITABLE',
      `KITT_HOME ${home} is not a writable folder${target === home ? '' : ` (cannot create ${target})`}: ${reason}`,
      { hint: 'set KITT_HOME to a folder kitt may write to, or unset it to use ~/.kitt', cause },
    );
  }
}

function describeFsError(error: unknown): string {
  const { code, path } = error as NodeJS.ErrnoException;
  if (code === 'ENOTDIR') return `${path ?? 'a part of the path'} is a file`;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EROFS') return 'read-only file system';
  if (code === 'ENOENT') return 'no files can be created there';
  if (code === 'ENOSPC') return 'no space left on the device';
  return code ?? (error instanceof Error ? error.message : String(error));
}

export const homePaths = (home: string) => ({
  home,
  models: join(home, 'models'),
  results: join(home, 'results'),
  store: join(home, 'kitt.db'),
  config: join(home, 'config.yaml'),
});
