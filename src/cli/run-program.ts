import { Command, CommanderError } from 'commander';
import { describeError, EXIT_CODES, exitCodeOf, KittError } from '../core/errors.js';
import { redactUrl } from '../core/secret.js';
import { type CliContext, createCliContext } from './cli-context.js';
import { readPackageVersion } from './version.js';

/** What distinguishes one of kitt's programs (kitt, kitt-agent) from another. */
export interface ProgramSpec {
  readonly name: string;
  readonly description: string;
  readonly debugHelp: string;
  register(program: Command, context: CliContext): void;
}

/**
 * Parses argv and runs the command, turning every failure into one line on stderr and the exit
 * code from EXIT_CODES. Never exits the process: the entry file does, with the returned code.
 */
export async function runProgram(spec: ProgramSpec, argv: string[]): Promise<number> {
  const debug = argv.includes('--debug') || process.env.KITT_DEBUG === '1';
  const context = createCliContext({ debug });
  const program = new Command(spec.name)
    .description(spec.description)
    .version(readPackageVersion(), '-V, --version', `print the ${spec.name} version`)
    .option('--debug', spec.debugHelp)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  program.configureOutput({
    writeErr: (text) => context.stderr.write(text),
    writeOut: (text) => context.stdout.write(text),
  });
  spec.register(program, context);
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    // help and version leave through here with code 0; usage errors were already printed
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : EXIT_CODES.USAGE;
    context.stderr.write(`error: ${describeError(error)}\n`);
    if (debug && error instanceof Error) context.stderr.write(`${redactUrl(error.stack ?? '')}\n`);
    if (!(error instanceof KittError) && !debug) {
      context.stderr.write('this is a bug in kitt; run with --debug for the stack trace\n');
    }
    return exitCodeOf(error);
  } finally {
    await context.close();
  }
}
