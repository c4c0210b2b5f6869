#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { describeError, EXIT_CODES, exitCodeOf, KittError } from '../core/errors.js';
import { createCliContext } from './cli-context.js';
import { registerCommands } from './register-commands.js';
import { readPackageVersion } from './version.js';

/**
 * The only place that calls process.exit: every command throws KittError (or returns), and this
 * entry turns it into one line on stderr and the exit code from EXIT_CODES.
 */
export async function main(argv: string[] = process.argv): Promise<number> {
  const debug = argv.includes('--debug') || process.env.KITT_DEBUG === '1';
  const context = createCliContext({ debug });
  const program = new Command('kitt')
    .description('Launch LLM inference engines with hard limits, load them, measure them, calibrate them.')
    .version(readPackageVersion(), '-V, --version', 'print the kitt version')
    .option('--debug', 'print stack traces and debug logs')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  program.configureOutput({
    writeErr: (text) => context.stderr.write(text),
    writeOut: (text) => context.stdout.write(text),
  });
  registerCommands(program, context);
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // help and version exit through here with code 0; usage errors were already printed
      return error.exitCode === 0 ? 0 : EXIT_CODES.USAGE;
    }
    context.stderr.write(`error: ${describeError(error)}\n`);
    if (debug && error instanceof Error) context.stderr.write(`${error.stack}\n`);
    if (!(error instanceof KittError) && !debug) {
      context.stderr.write('this is a bug in kitt; run with --debug for the stack trace\n');
    }
    return exitCodeOf(error);
  } finally {
    await context.close();
  }
}
