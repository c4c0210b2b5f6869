import { accessSync, constants, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { KittError } from './errors.js';

/** kitt's home: `KITT_HOME`, else `~/.kitt`. Models, the SQLite store and results live under it. */
export function resolveKittHome(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.KITT_HOME && env.KITT_HOME.length > 0 ? env.KITT_HOME : join(homedir(), '.kitt'));
}

/** Creates the home (and a subfolder) if needed and proves it is writable, or says how to fix it. */
export function ensureWritableDir(dir: string): string {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
    return dir;
  } catch (cause) {
    throw new KittError('HOME_NOT_WRITABLE', `cannot write to ${dir}`, {
      hint: 'set KITT_HOME to a writable folder or fix the folder permissions',
      cause,
    });
  }
}

export const homePaths = (home: string) => ({
  home,
  models: join(home, 'models'),
  results: join(home, 'results'),
  store: join(home, 'kitt.db'),
  config: join(home, 'config.yaml'),
});
