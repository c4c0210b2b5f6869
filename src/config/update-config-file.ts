import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { isMap, parseDocument } from 'yaml';
import { KittError } from '../core/errors.js';
import { describeIssues } from './config-issues.js';
import { configSchema } from './config-schema.js';
import { configError } from './load-config.js';

/**
 * Splits `compute.rates["llamacpp/1cpu-2GiB"].value` into its keys. Quoted segments may hold dots
 * and slashes; an array of keys is taken as it is.
 */
export function parseKeyPath(keyPath: string | readonly string[]): string[] {
  if (typeof keyPath !== 'string') return [...keyPath];
  const keys: string[] = [];
  const pattern = /\[\s*"((?:[^"\\]|\\.)*)"\s*\]|\[\s*'([^']*)'\s*\]|([^.[\]]+)/g;
  for (const match of keyPath.matchAll(pattern)) {
    if (match[1] !== undefined) keys.push(JSON.parse(`"${match[1]}"`) as string);
    else if (match[2] !== undefined) keys.push(match[2]);
    else if (match[3] !== undefined) keys.push(match[3]);
  }
  if (keys.length === 0) {
    throw new KittError('USAGE', `"${keyPath}" is not a config key path`, {
      hint: 'write keys separated by dots, e.g. compute.rates["llamacpp/1cpu"]',
    });
  }
  return keys;
}

/**
 * Sets one value in a YAML config file and keeps everything else as it was, comments and key order
 * included (yaml's Document API edits the syntax tree, not a re-serialised object). The edited file
 * is validated before it replaces the old one, and it is replaced atomically (write, then rename),
 * so a crash or a bad value never leaves a broken config. Creates the file if it does not exist.
 */
export function updateConfigFile(path: string, keyPath: string | readonly string[], value: unknown): void {
  const keys = parseKeyPath(keyPath);
  const text = existsSync(path) ? readFileSync(path, 'utf8') : '';
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    throw new KittError('CONFIG_INVALID', `${path}: YAML syntax error: ${doc.errors[0]!.message.split('\n')[0]}`, {
      hint: 'fix the YAML before kitt writes to it',
    });
  }
  if (doc.contents !== null && !isMap(doc.contents)) {
    throw new KittError('CONFIG_INVALID', `${path}: the config must be a mapping of keys to values`, {
      hint: 'start the file with keys such as run:, engines: or compute:',
    });
  }
  // setIn creates the missing maps on the way, including the root of an empty file
  doc.setIn(keys, doc.createNode(value));
  const data = doc.toJS() as unknown;
  const parsed = configSchema.safeParse(data ?? {});
  if (!parsed.success) {
    throw configError(describeIssues(configSchema, data, parsed.error.issues), () => path);
  }
  try {
    mkdirSync(dirname(path), { recursive: true });
    const temporary = `${path}.${process.pid}.tmp`;
    writeFileSync(temporary, doc.toString());
    renameSync(temporary, path);
  } catch (cause) {
    throw new KittError('HOME_NOT_WRITABLE', `cannot write config file ${path}`, {
      hint: 'make the folder writable, or set KITT_CONFIG to a writable file',
      cause,
    });
  }
}
