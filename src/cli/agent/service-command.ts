import { chmodSync, existsSync, lstatSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_TOKEN_ENV } from '../../app/push/push-target.js';
import { KittError } from '../../core/errors.js';
import { ensureWritableDir } from '../../core/kitt-home.js';
import type { CliContext } from '../cli-context.js';
import {
  DEFAULT_SERVICE_NAME,
  DEFAULT_STOP_TIMEOUT,
  type InstallFlags,
  type InstallPlan,
  planInstall,
  type ServiceFlags,
  SYSTEM_UNIT_DIR,
  servicePaths,
} from './service-plan.js';
import { envFileOfUnit, environmentLine, UNIT_MARKER } from './service-unit.js';

/** `kitt-agent service install | uninstall`: a systemd unit that keeps `kitt-agent run` running. */
export function registerServiceCommand(program: Command, context: CliContext): void {
  const service = program
    .command('service')
    .description('run kitt-agent as a systemd service: install or uninstall its unit');
  const install = service
    .command('install')
    .description('write a systemd unit that runs kitt-agent run, and its token file')
    .option('--server <url>', "kitt server's address, e.g. http://kitt.example.com:8080")
    .option('--home <dir>', "the agent's kitt home (default: KITT_HOME, or ~/.kitt of the user installing)")
    .option('--user <user>', 'the account the agent runs as (default: the user running this, under sudo too)')
    .option('--config <path>', 'config file the agent reads (default: its home/config.yaml)')
    .option('--token-env <var>', 'the variable holding a token with the write scope', DEFAULT_TOKEN_ENV)
    .option(
      '--stop-timeout <duration>',
      'how long a stop waits for the current cell to finish (bare: s)',
      DEFAULT_STOP_TIMEOUT,
    );
  withPathFlags(install)
    .option('--dry-run', 'print the unit and write nothing')
    .addHelpText(
      'after',
      `
The token is never in the unit: it is read from the token variable and written to the environment
file (mode 0600) the unit names. Without the variable, an existing file is kept, or the command
says how to create one. The unit stops the agent with SIGTERM: it takes no more jobs and finishes
the one it holds, for at most --stop-timeout. systemctl is not run: the command prints its line.

Examples:
  sudo --preserve-env=KITT_SERVER_TOKEN kitt-agent service install --server http://kitt.example.com:8080 --user bench --home /data/kitt
  kitt-agent service install --server http://127.0.0.1:8080 --dry-run`,
    )
    .action((flags: InstallFlags) => {
      const plan = planInstall(flags, context.env);
      if (flags.dryRun) {
        context.stdout.write(plan.unitText);
        context.stderr.write(`dry run: nothing written (unit ${plan.unitPath}, environment file ${plan.envFile})\n`);
        return;
      }
      installService(plan, context.stdout);
    });
  withPathFlags(service.command('uninstall'))
    .description('remove the unit, its enablement link and its token file')
    .action((flags: ServiceFlags) => uninstallService(flags, context.stdout));
}

function withPathFlags(command: Command): Command {
  return (
    command
      .option('--name <name>', 'the unit is <name>.service', DEFAULT_SERVICE_NAME)
      .option('--unit-dir <dir>', 'where systemd reads the unit from', SYSTEM_UNIT_DIR)
      // not --env-file: node 20 reads that flag even after the script's name, as its own
      .option(
        '--token-file <path>',
        'the environment file holding the token (default: /etc/kitt/<name>.env, or beside a unit elsewhere)',
      )
  );
}

function installService(plan: InstallPlan, out: NodeJS.WritableStream): void {
  writableFolder(plan.unitDir, '--unit-dir');
  const tokenLine = writeTokenFile(plan);
  writeAtomically(plan.unitPath, plan.unitText, 0o644);
  out.write(`wrote ${plan.unitPath}\n${tokenLine}\n`);
  out.write(`systemctl daemon-reload && systemctl enable --now ${plan.unitName}\n`);
}

/** Writes the token from the environment, or keeps or asks for the file; returns the line to print. */
function writeTokenFile(plan: InstallPlan): string {
  if (plan.token) {
    writableFolder(dirname(plan.envFile), '--token-file');
    writeAtomically(plan.envFile, environmentLine(plan.tokenEnv, plan.token.reveal()), 0o600);
    return `wrote ${plan.envFile} (mode 0600, ${plan.tokenEnv} from the environment)`;
  }
  const mode = statSync(plan.envFile, { throwIfNoEntry: false })?.mode;
  if (mode === undefined) {
    return (
      `${plan.tokenEnv} is not set: before enabling, create ${plan.envFile} (mode 0600) holding ` +
      `${plan.tokenEnv}=<a token with the write scope> (kitt server token create --name agents --scope write)`
    );
  }
  if ((mode & 0o077) !== 0) {
    throw new KittError(
      'HOME_NOT_WRITABLE',
      `${plan.envFile} is readable by others (mode ${(mode & 0o777).toString(8)})`,
      {
        hint: `chmod 600 ${plan.envFile}, or set ${plan.tokenEnv} to have it written`,
      },
    );
  }
  return `kept ${plan.envFile} (${plan.tokenEnv} is not set)`;
}

/**
 * Removes what install wrote: the enablement link `systemctl enable` made in the unit folder, the
 * unit, and the token file the unit names. A unit kitt-agent did not write is left alone.
 */
function uninstallService(flags: ServiceFlags, out: NodeJS.WritableStream): void {
  const paths = servicePaths(flags);
  const unitText = existsSync(paths.unitPath) ? readFileSync(paths.unitPath, 'utf8') : undefined;
  if (unitText !== undefined && !unitText.startsWith(UNIT_MARKER)) {
    throw new KittError('USAGE', `${paths.unitPath} was not written by kitt-agent service install`, {
      hint: 'remove it yourself, or pass --name the unit kitt-agent wrote',
    });
  }
  const named = unitText === undefined ? undefined : envFileOfUnit(unitText);
  const envFile = flags.tokenFile === undefined ? (named ?? paths.envFile) : paths.envFile;
  const wantsLink = join(paths.unitDir, 'multi-user.target.wants', paths.unitName);
  const removed = [wantsLink, paths.unitPath, envFile].filter(removeIfPresent);
  if (removed.length === 0) {
    out.write(`nothing to remove: no ${paths.unitPath}, no ${envFile}\n`);
    return;
  }
  for (const path of removed) out.write(`removed ${path}\n`);
  out.write(`systemctl stop ${paths.unitName}; systemctl daemon-reload\n`);
}

function removeIfPresent(path: string): boolean {
  if (!lstatSync(path, { throwIfNoEntry: false })) return false;
  try {
    rmSync(path);
    return true;
  } catch (cause) {
    throw new KittError('HOME_NOT_WRITABLE', `cannot remove ${path}: ${(cause as NodeJS.ErrnoException).code}`, {
      hint: 'run it as root (sudo kitt-agent service uninstall …)',
      cause,
    });
  }
}

function writableFolder(dir: string, flag: string): void {
  try {
    ensureWritableDir(dir);
  } catch (cause) {
    throw new KittError('HOME_NOT_WRITABLE', `cannot write to ${dir}`, {
      hint: `run it as root (sudo kitt-agent service …), or pass ${flag} a folder you may write`,
      cause,
    });
  }
}

/** A file appears whole and with its mode from the start: the token is never readable by others. */
function writeAtomically(path: string, text: string, mode: number): void {
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, text, { mode, flag: 'wx' });
    chmodSync(temporary, mode); // the umask may have taken bits from 0644
    renameSync(temporary, path);
  } catch (cause) {
    rmSync(temporary, { force: true });
    throw new KittError('HOME_NOT_WRITABLE', `cannot write ${path}: ${(cause as NodeJS.ErrnoException).code}`, {
      hint: 'run it as root (sudo kitt-agent service …), or pick paths you may write',
      cause,
    });
  }
}
