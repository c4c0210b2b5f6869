import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Where browser tests keep their screenshots: ignored by git, kept after the run for a person to look at. */
export const SCREENSHOT_DIR = resolve(import.meta.dirname, '..', '..', '.kitt-test', 'screenshots');

/** Writes one screenshot as `<name>.png` under {@link SCREENSHOT_DIR}; returns its path. */
export function keepScreenshot(name: string, png: Buffer): string {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  writeFileSync(path, png);
  return path;
}
