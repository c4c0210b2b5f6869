import { runProgram } from '../run-program.js';
import { registerBuildCommand } from './build-command.js';

/**
 * kitt-agent: what a benchmark host needs besides kitt itself. For now `build`, which makes the
 * kitt image natively for this host. Errors are one line, as in kitt's own CLI.
 */
export function agentMain(argv: string[] = process.argv): Promise<number> {
  return runProgram(
    {
      name: 'kitt-agent',
      description: "Prepare a benchmark host for kitt: build kitt's image natively for this machine.",
      debugHelp: 'print stack traces and the full build output',
      register: registerBuildCommand,
    },
    argv,
  );
}
