import { runProgram } from '../run-program.js';
import { registerBuildCommand } from './build-command.js';
import { registerRunCommand } from './run-command.js';

/**
 * kitt-agent: what a benchmark host needs besides kitt itself: `build` makes the kitt image
 * natively for this host, `run` takes campaign cells from a kitt server. Errors are one line, as in
 * kitt's own CLI.
 */
export function agentMain(argv: string[] = process.argv): Promise<number> {
  return runProgram(
    {
      name: 'kitt-agent',
      description:
        "A benchmark host for kitt: build kitt's image natively for this machine, or run a kitt server's campaign cells.",
      debugHelp: 'print stack traces and the full build output',
      register: (program, context) => {
        registerBuildCommand(program, context);
        registerRunCommand(program, context);
      },
    },
    argv,
  );
}
