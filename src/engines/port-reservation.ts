import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Ports chosen for engines, claimed across kitt processes on this host. Checking that a port is
 * free and then starting an engine on it is a race: two kitt runs started together both see the
 * default port free and one engine fails to bind. A claim is a file created exclusively (O_EXCL)
 * that names the claiming pid; a claim whose process is gone (kill -9) is taken over.
 * Claims are released when the process exits.
 */
const CLAIMS_DIR = join(tmpdir(), 'kitt-port-claims');
const held = new Set<string>();
let exitHookInstalled = false;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function releaseAll(): void {
  for (const path of held) {
    try {
      unlinkSync(path);
    } catch {
      // already gone
    }
  }
  held.clear();
}

/** Claims `port` for this process; false when another live kitt process holds it. */
export function claimPort(port: number, dir: string = CLAIMS_DIR): boolean {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, String(port));
  if (held.has(path)) return true;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, String(process.pid), { flag: 'wx' });
      held.add(path);
      if (!exitHookInstalled) {
        process.once('exit', releaseAll);
        exitHookInstalled = true;
      }
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(readFileSync(path, 'utf8').trim());
      if (Number.isInteger(owner) && owner > 0 && isAlive(owner)) return false;
      try {
        unlinkSync(path);
      } catch {
        // another process took it over first; the next attempt says who won
      }
    }
  }
  return false;
}

/** Gives a claim back early (an engine that stopped). */
export function releasePort(port: number, dir: string = CLAIMS_DIR): void {
  const path = join(dir, String(port));
  if (!held.delete(path)) return;
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
