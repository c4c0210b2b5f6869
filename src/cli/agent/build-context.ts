import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';
import type { Readable } from 'node:stream';
import dockerignoreModule from '@balena/dockerignore';
import { pack } from 'tar-fs';

// A CommonJS module whose types declare an ES default export: its factory is also at `.default`.
const dockerignore = dockerignoreModule.default;

/**
 * The files of a build context that `.dockerignore` lets through, as posix paths relative to the
 * context root, sorted. The Dockerfile and .dockerignore are always sent, as the Docker CLI does:
 * the daemon needs them and drops them itself when .dockerignore names them.
 */
export function listBuildContext(root: string, dockerfile: string): string[] {
  let ignoreText = '';
  try {
    ignoreText = readFileSync(join(root, '.dockerignore'), 'utf8');
  } catch {
    // no .dockerignore: everything is sent
  }
  const matcher = dockerignore({ ignorecase: false }).add(ignoreText);
  // Patterns that re-include paths (`!src/`): an ignored folder is only skipped when none could
  // re-include something inside it, as the Docker CLI does, so an allowlist stays fast.
  const reincludes = ignoreText
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith('!'))
    .map((line) => line.slice(1).replace(/^\/+/, ''));
  const mayReinclude = (dir: string) =>
    reincludes.some((pattern) => /^[*?[]/.test(pattern) || pattern.startsWith(`${dir}/`));

  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const rel = dir === '' ? entry.name : posix.join(dir, entry.name);
      const ignored = matcher.ignores(rel);
      if (entry.isDirectory()) {
        if (!ignored || mayReinclude(rel)) walk(rel);
      } else if (!ignored) {
        files.push(rel);
      }
    }
  };
  walk('');
  const always = [relative(root, join(root, dockerfile)).split(sep).join('/'), '.dockerignore'];
  for (const file of always) {
    if (!files.includes(file) && existsSync(join(root, file))) files.push(file);
  }
  return files.sort();
}

/** An uncompressed tar of the given context files (file modes kept, owners zeroed as the CLI does). */
export function packBuildContext(root: string, files: readonly string[]): Readable {
  return pack(root, {
    entries: [...files],
    map: (header) => ({ ...header, uid: 0, gid: 0, uname: '', gname: '' }),
  });
}
