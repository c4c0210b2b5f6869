import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_TOKEN_ENV, parseServerUrl } from '../../app/push/push-target.js';
import { KittError } from '../../core/errors.js';
import { resolveKittHome } from '../../core/kitt-home.js';
import { Secret } from '../../core/secret.js';
import { parseDurationMs } from '../../core/units.js';
import { buildServiceUnit } from './service-unit.js';

/** Where `systemctl` finds units an administrator installs. */
export const SYSTEM_UNIT_DIR = '/etc/systemd/system';
/** Where the token file goes beside a unit of SYSTEM_UNIT_DIR; beside the unit in any other folder. */
export const SYSTEM_ENV_DIR = '/etc/kitt';
export const DEFAULT_SERVICE_NAME = 'kitt-agent';
export const DEFAULT_STOP_TIMEOUT = '1h';

export interface ServiceFlags {
  readonly name: string;
  readonly unitDir: string;
  readonly tokenFile?: string | undefined;
}

export interface InstallFlags extends ServiceFlags {
  readonly server?: string | undefined;
  readonly home?: string | undefined;
  readonly user?: string | undefined;
  readonly config?: string | undefined;
  readonly tokenEnv: string;
  readonly stopTimeout: string;
  readonly dryRun?: boolean | undefined;
}

/** Where a service's two files live. */
export interface ServicePaths {
  /** `kitt-agent.service`, what systemctl is told. */
  readonly unitName: string;
  readonly unitDir: string;
  readonly unitPath: string;
  readonly envFile: string;
}

/** Everything install writes, decided before anything is written. */
export interface InstallPlan extends ServicePaths {
  readonly unitText: string;
  readonly tokenEnv: string;
  /** The token from the environment, or undefined: the person creates the file. */
  readonly token: Secret | undefined;
}

/** The unit's name and its files' paths from --name, --unit-dir and --token-file. */
export function servicePaths(flags: ServiceFlags): ServicePaths {
  if (!/^[A-Za-z0-9:_.@-]+$/.test(flags.name)) {
    throw new KittError('USAGE', `--name ${JSON.stringify(flags.name)} is not a unit name`, {
      hint: 'use letters, digits and :_.@- only, e.g. --name kitt-agent-gpu0',
    });
  }
  const base = flags.name.replace(/\.service$/, '');
  const unitDir = resolve(flags.unitDir);
  const envDir = unitDir === SYSTEM_UNIT_DIR ? SYSTEM_ENV_DIR : unitDir;
  return {
    unitName: `${base}.service`,
    unitDir,
    unitPath: join(unitDir, `${base}.service`),
    envFile: resolve(flags.tokenFile ?? join(envDir, `${base}.env`)),
  };
}

/** Checks the flags and builds the unit; reads the environment, writes nothing. */
export function planInstall(flags: InstallFlags, env: NodeJS.ProcessEnv): InstallPlan {
  if (!flags.server) {
    throw new KittError('USAGE', '--server is missing', {
      hint: "give kitt server's address, e.g. --server http://kitt.example.com:8080",
    });
  }
  const server = parseServerUrl(flags.server);
  const paths = servicePaths(flags);
  const user = flags.user ?? invokingUser(env);
  const stopTimeoutS = parseDurationMs(flags.stopTimeout) / 1000;
  if (stopTimeoutS < 1) {
    throw new KittError('USAGE', `--stop-timeout ${flags.stopTimeout} is shorter than a second`, {
      hint: 'give the longest cell this host runs, e.g. --stop-timeout 1h',
    });
  }
  const value = env[flags.tokenEnv]?.trim();
  return {
    ...paths,
    tokenEnv: flags.tokenEnv,
    token: value ? new Secret(value) : undefined,
    unitText: buildServiceUnit({
      server,
      home: serviceHome(flags.home, user, env),
      user,
      envFile: paths.envFile,
      command: agentCommand(),
      tokenEnv: flags.tokenEnv,
      defaultTokenEnv: DEFAULT_TOKEN_ENV,
      config: flags.config === undefined ? undefined : resolve(flags.config),
      stopTimeoutS,
    }),
  };
}

/** Under sudo, the person who ran it rather than root. */
function invokingUser(env: NodeJS.ProcessEnv): string {
  return env.SUDO_USER && env.SUDO_USER.length > 0 ? env.SUDO_USER : userInfo().username;
}

/** --home, else KITT_HOME, else ~/.kitt when the service runs as the user installing it. */
function serviceHome(home: string | undefined, user: string, env: NodeJS.ProcessEnv): string {
  if (home !== undefined) return resolve(home);
  if (env.KITT_HOME && env.KITT_HOME.length > 0) return resolve(env.KITT_HOME);
  if (user === userInfo().username) return resolveKittHome(env);
  throw new KittError('USAGE', `the service runs as ${user}, whose kitt home this command cannot know`, {
    hint: `pass --home, e.g. --home /home/${user}/.kitt`,
  });
}

/**
 * This install's own command line: node, the loader flags it was started with (tsx, when run
 * from source), and the kitt-agent entry beside this module (dist/cli/agent-entry.js once built).
 */
export function agentCommand(): string[] {
  const here = fileURLToPath(import.meta.url);
  const entry = fileURLToPath(new URL(`../agent-entry${extname(here)}`, import.meta.url));
  if (!existsSync(entry)) {
    throw new KittError('USAGE', `the kitt-agent entry ${entry} is missing`, {
      hint: 'build kitt first (npm run build), then run kitt-agent service install again',
    });
  }
  return [process.execPath, ...loaderFlags(process.execArgv), entry];
}

const LOADER_FLAGS = new Set(['--import', '--require', '-r', '--loader', '--experimental-loader']);

/** The flags of node's that load code (a TypeScript loader); debugging and tuning flags stay out. */
export function loaderFlags(execArgv: readonly string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < execArgv.length; i += 1) {
    const flag = execArgv[i]!;
    const [name] = flag.split('=', 1);
    if (!LOADER_FLAGS.has(name!)) continue;
    if (flag.includes('=')) kept.push(flag);
    else if (i + 1 < execArgv.length) {
      kept.push(flag, execArgv[i + 1]!);
      i += 1;
    }
  }
  return kept;
}
