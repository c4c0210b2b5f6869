import { EXIT_CODES, KittError } from '../../core/errors.js';

/** The first line of every unit kitt-agent writes: uninstall removes only files that carry it. */
export const UNIT_MARKER = '# Written by kitt-agent service install; kitt-agent service uninstall removes it.';

/** What a systemd unit of `kitt-agent run` is made of; every path absolute. */
export interface ServiceUnitSpec {
  readonly server: string;
  readonly home: string;
  /** The account the agent runs as (it needs the docker group for Docker engines). */
  readonly user: string;
  /** Holds `<tokenEnv>=…`, mode 0600; the unit names it and never holds the token. */
  readonly envFile: string;
  /** The program and its arguments before `run`: node, its loader flags, the kitt-agent entry. */
  readonly command: readonly string[];
  readonly tokenEnv: string;
  readonly defaultTokenEnv: string;
  readonly config?: string | undefined;
  /** How long systemd waits after SIGTERM for the current cell to finish before SIGKILL. */
  readonly stopTimeoutS: number;
}

/**
 * The unit text. SIGTERM makes `kitt-agent run` take no more jobs and finish the one it holds
 * (agent-loop.ts), so systemd sends it to the agent alone (KillMode=mixed: the engines it started
 * keep running until the cell ends) and waits TimeoutStopSec before killing the whole group. Exit
 * code 2 is a usage or config error (a missing token, a bad config): restarting cannot fix it.
 */
export function buildServiceUnit(spec: ServiceUnitSpec): string {
  const run = ['run', '--server', serverAddress(spec.server), '--home', spec.home];
  if (spec.config !== undefined) run.push('--config', spec.config);
  if (spec.tokenEnv !== spec.defaultTokenEnv) run.push('--token-env', spec.tokenEnv);
  return `${[
    UNIT_MARKER,
    '[Unit]',
    `Description=kitt-agent: campaign cells of ${unitValue(spec.server)}`,
    'After=network-online.target docker.service',
    'Wants=network-online.target',
    '',
    '[Service]',
    'Type=simple',
    `User=${userName(spec.user)}`,
    `Environment=${quoteWord(unitValue(`KITT_HOME=${spec.home}`))}`,
    `EnvironmentFile=${unitPath(spec.envFile)}`,
    `ExecStart=${[...spec.command, ...run].map(quoteArgument).join(' ')}`,
    'Restart=on-failure',
    'RestartSec=5',
    `RestartPreventExitStatus=${EXIT_CODES.USAGE}`,
    'KillSignal=SIGTERM',
    'KillMode=mixed',
    `TimeoutStopSec=${Math.ceil(spec.stopTimeoutS)}`,
    '',
    '[Install]',
    'WantedBy=multi-user.target',
  ].join('\n')}\n`;
}

/**
 * One line of a systemd EnvironmentFile. Double quotes keep every character but the two escaped
 * here; a newline would start a second assignment, so a token with one is refused.
 */
export function environmentLine(name: string, value: string): string {
  if (/[\r\n]/.test(value)) {
    throw new KittError('USAGE', `${name} holds a line break`, { hint: `set ${name} to the token alone` });
  }
  return `${name}="${value.replace(/[\\"]/g, (c) => `\\${c}`)}"\n`;
}

/** The EnvironmentFile= path a unit written by kitt-agent names, or undefined. */
export function envFileOfUnit(text: string): string | undefined {
  if (!text.startsWith(UNIT_MARKER)) return undefined;
  const line = text.split('\n').find((l) => l.startsWith('EnvironmentFile='));
  return line?.slice('EnvironmentFile='.length).replace(/%%/g, '%');
}

/**
 * One word of ExecStart=: `%` is a specifier and `$` a variable there, so both are doubled
 * (Environment= expands specifiers only).
 */
export function quoteArgument(word: string): string {
  return quoteWord(unitValue(word).replace(/\$/g, '$$$$'));
}

/** A word with spaces, quotes, backslashes or `;` is double-quoted with C escapes. */
function quoteWord(word: string): string {
  if (!/[\s"'\\;]/.test(word)) return word;
  return `"${word.replace(/[\\"]/g, (c) => `\\${c}`).replace(/\t/g, '\\t')}"`;
}

/** A value systemd takes verbatim but for specifiers; a line break would end the setting. */
function unitValue(text: string): string {
  if (/[\r\n]/.test(text)) {
    throw new KittError('USAGE', `"${text.replace(/[\r\n]+/g, ' ')}" holds a line break`, {
      hint: 'give paths and addresses on one line',
    });
  }
  return text.replace(/%/g, '%%');
}

/** EnvironmentFile= takes one path, unquoted: no spaces. */
function unitPath(path: string): string {
  if (/\s/.test(path)) {
    throw new KittError('USAGE', `${path} holds a space, which EnvironmentFile= cannot take`, {
      hint: 'pass --token-file a path without spaces',
    });
  }
  return unitValue(path);
}

/** User= takes a name or a uid; anything else would be a unit that does not load. */
function userName(user: string): string {
  if (!/^(?:[A-Za-z_][A-Za-z0-9_.-]*\$?|\d+)$/.test(user)) {
    throw new KittError('USAGE', `--user ${JSON.stringify(user)} is not a user name`, {
      hint: 'pass --user the account the agent runs as, e.g. --user kitt',
    });
  }
  return user;
}

/** The unit is world-readable (0644), so an address with credentials in it is refused. */
function serverAddress(server: string): string {
  const url = new URL(server);
  if (url.username !== '' || url.password !== '') {
    throw new KittError('USAGE', '--server carries credentials, which the unit file would show to every user', {
      hint: 'give the address alone; the token goes in the environment file from KITT_SERVER_TOKEN',
    });
  }
  return server;
}
