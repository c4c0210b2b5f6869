import { registerCommands } from './register-commands.js';
import { runProgram } from './run-program.js';

/** kitt's CLI: every command, one-line errors, one exit-code table (src/core/errors.ts). */
export function main(argv: string[] = process.argv): Promise<number> {
  return runProgram(
    {
      name: 'kitt',
      description: 'Launch LLM inference engines with hard limits, load them, measure them, calibrate them.',
      debugHelp: 'print stack traces and debug logs',
      register: registerCommands,
    },
    argv,
  );
}
