import type { KittConfig } from '../../config/config-schema.js';
import type { OptionIssues } from '../../core/option-issues.js';
import { parseEngineName } from '../../engines/catalog.js';
import type { EngineName, EngineRequest } from '../../engines/engine.js';
import type { EngineFlags } from './engine-options.js';

/** The flags that point a run at a server kitt did not start, as commander hands them over. */
export interface TargetFlags {
  readonly target?: string;
  readonly api?: string;
  readonly servedModel?: string;
  readonly apiKeyEnv?: string;
  readonly header?: readonly string[];
}

/** The OpenAI-compatible request APIs a target is loaded through. */
export type TargetApi = 'openai-completions' | 'openai-chat';

/**
 * A server to measure, checked before anything is sent. It holds the header values (they may be
 * secret) and the NAME of the variable that holds the key, never the key: the key is read when
 * the target is attached and lives only in the load target's headers.
 */
export interface TargetPlan {
  /** Base URL without a trailing slash or `/v1`: http://host:8000, http://host/proxy. */
  readonly url: string;
  /** Undefined: what the recognised engine serves best (raw completions unless it serves chat). */
  readonly api?: TargetApi;
  /** Undefined: the one model GET /v1/models lists. */
  readonly servedModel?: string;
  readonly apiKeyEnv?: string;
  readonly headers: Readonly<Record<string, string>>;
  /** `-e`: the engine the server runs, when its /metrics cannot tell. */
  readonly engineHint?: EngineName;
}

/**
 * Flags that shape an engine kitt launches, and why each means nothing for a server that runs
 * already. `-e` is kept: it names the engine when the server's /metrics cannot.
 */
const LAUNCH_FLAGS: ReadonlyArray<readonly [keyof EngineFlags, string, string]> = [
  ['model', '-m/--model', 'it names a model file for kitt to serve; name the served model with --served-model'],
  ['mode', '--mode', 'kitt hosts nothing; drop --mode'],
  ['port', '--port', 'the port is part of --target; drop --port'],
  ['cpus', '--cpus', 'kitt sets no limits on a server it did not start; drop --cpus'],
  ['memory', '--memory', 'kitt sets no limits on a server it did not start; drop --memory'],
  ['memorySwap', '--memory-swap', 'kitt sets no limits on a server it did not start; drop --memory-swap'],
  ['pids', '--pids', 'kitt sets no limits on a server it did not start; drop --pids'],
  ['gpus', '--gpus', 'the server already holds its GPUs; drop --gpus'],
  ['engineArg', '--engine-arg', 'the server was started with its own arguments; drop --engine-arg'],
  ['image', '--image', 'no container is started; drop --image'],
  ['parallel', '--parallel', "the server's slots were set when it was started; drop --parallel"],
  ['threads', '--threads', "the server's threads were set when it was started; drop --threads"],
];

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function readApi(text: string, issues: OptionIssues): TargetApi | undefined {
  if (text === 'completions') return 'openai-completions';
  if (text === 'chat') return 'openai-chat';
  return issues.add(`--api "${text}" is not an API`, 'use --api completions or --api chat');
}

function readUrl(text: string, issues: OptionIssues): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return issues.add(
      `--target "${text}" is not a URL`,
      'write it as http://host:port, e.g. --target http://127.0.0.1:8000',
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return issues.add(`--target ${url.protocol} is not http or https`, 'write it as http://host:port or https://host');
  }
  if (url.username || url.password) {
    // a password in the URL would be recorded with it
    return issues.add(
      '--target carries credentials in the URL',
      'drop them from the URL; pass the key with --api-key-env VAR or --header',
    );
  }
  if (url.search || url.hash) return issues.add(`--target ${text} has a query or fragment`, 'give the base URL only');
  // the API paths (/v1/completions, /v1/models) are kitt's to add; a pasted ".../v1" is the base
  const path = url.pathname.replace(/\/+$/, '').replace(/\/v1$/, '');
  return `${url.origin}${path}`;
}

function readHeaders(texts: readonly string[], issues: OptionIssues): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const text of texts) {
    const colon = text.indexOf(':');
    const name = colon > 0 ? text.slice(0, colon).trim().toLowerCase() : '';
    if (!TOKEN.test(name)) {
      // the value may be a secret: only the name (or nothing) goes into the message
      issues.add(
        `--header ${name === '' ? '(no name)' : `"${name}"`} is not NAME:VALUE`,
        'write it as --header "X-Name: value"',
      );
      continue;
    }
    headers[name] = text.slice(colon + 1).trim();
  }
  return headers;
}

function readKeyEnv(name: string, env: NodeJS.ProcessEnv, issues: OptionIssues): string | undefined {
  if (!ENV_NAME.test(name)) {
    return issues.add(
      `--api-key-env "${name}" is not a variable name`,
      'name the variable, e.g. --api-key-env OPENAI_API_KEY',
    );
  }
  if (!env[name]) {
    return issues.add(
      `--api-key-env ${name}: the variable is not set`,
      `export ${name}=<key> before running kitt, or drop --api-key-env`,
    );
  }
  return name;
}

/** Target flags without --target, each named with the fix. */
function orphanFlags(flags: TargetFlags, issues: OptionIssues): void {
  const orphans = [
    flags.api !== undefined ? '--api' : '',
    flags.servedModel !== undefined ? '--served-model' : '',
    flags.apiKeyEnv !== undefined ? '--api-key-env' : '',
    (flags.header?.length ?? 0) > 0 ? '--header' : '',
  ].filter(Boolean);
  if (orphans.length > 0) {
    issues.add(`${orphans.join(', ')} only apply with --target`, 'add --target URL, or drop them');
  }
}

/**
 * Reads the target flags over `run.target`, `run.api`, `run.servedModel` and `run.apiKeyEnv` of the
 * config; undefined when no target was asked for. Every problem goes into `issues`: a bad URL, an
 * unset key variable, and every flag that would launch an engine.
 */
export function readTargetPlan(
  flags: TargetFlags & EngineFlags,
  config: Pick<KittConfig['run'], 'target' | 'api' | 'servedModel' | 'apiKeyEnv'>,
  env: NodeJS.ProcessEnv,
  issues: OptionIssues,
): TargetPlan | undefined {
  const target = flags.target ?? config.target;
  if (target === undefined) {
    orphanFlags(flags, issues);
    return undefined;
  }
  for (const [key, flag, why] of LAUNCH_FLAGS) {
    const value = flags[key];
    if (value !== undefined && !(Array.isArray(value) && value.length === 0)) {
      issues.add(`${flag} launches an engine and cannot go with --target`, why);
    }
  }
  const url = readUrl(target, issues);
  const apiText = flags.api ?? config.api;
  const api = apiText === undefined ? undefined : readApi(apiText, issues);
  const keyEnvName = flags.apiKeyEnv ?? config.apiKeyEnv;
  const apiKeyEnv = keyEnvName === undefined ? undefined : readKeyEnv(keyEnvName, env, issues);
  const headers = readHeaders(flags.header ?? [], issues);
  if (keyEnvName !== undefined && headers.authorization !== undefined) {
    issues.add('--api-key-env and --header Authorization both set the key', 'give the key once');
  }
  const engineHint = flags.engine === undefined ? undefined : issues.attempt(() => parseEngineName(flags.engine!));
  const servedModel = flags.servedModel ?? config.servedModel;
  if (url === undefined) return undefined;
  return {
    url,
    headers,
    ...(api ? { api } : {}),
    ...(servedModel ? { servedModel } : {}),
    ...(apiKeyEnv ? { apiKeyEnv } : {}),
    ...(engineHint ? { engineHint } : {}),
  };
}

/**
 * The engine request a target run records: no limits, no arguments, nothing to launch. The engine
 * and model are filled in once the target was attached (recognised, and its model listed).
 */
export function targetEngineRequest(plan: TargetPlan, runId: string): EngineRequest {
  return {
    engine: plan.engineHint ?? 'unknown',
    mode: 'external',
    modelPath: plan.servedModel ?? '',
    limits: {},
    engineArgs: [],
    runId,
  };
}
