import { Command, CommanderError } from 'commander';
import { describeError, EXIT_CODES, exitCodeOf, KittError } from '../../core/errors.js';
import { createCliContext } from '../cli-context.js';
import { readPackageVersion } from '../version.js';
import { registerBuildCommand } from './build-command.js';

/**
 * kitt-agent: what a benchmark host needs besides kitt itself. For now `build`, which makes the
 * kitt image natively for this host. Errors are one line, as in kitt's own CLI.
 */
export async function agentMain(argv: string[] = process.argv): Promise<number> {
  const debug = argv.includes('--debug') || process.env.KITT_DEBUG === '1';
  const context = createCliContext({ debug });
  const program = new Command('kitt-agent')
    .description("Prepare a benchmark host for kitt: build kitt's image natively for this machine.")
    .version(readPackageVersion(), '-V, --version', 'print the kitt-agent version')
    .option('--debug', 'print stack traces and the full build output')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  program.configureOutput({
    writeErr: (text) => context.stderr.write(text),
    writeOut: (text) => context.stdout.write(text),
  });
  registerBuildCommand(program, context);
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : EXIT_CODES.USAGE;
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
