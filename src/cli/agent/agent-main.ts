import { runProgram } from '../run-program.js';
import { registerBuildCommand } from './build-command.js';
import { registerRunCommand } from './run-command.js';
import { registerServiceCommand } from './service-command.js';

/**
 * kitt-agent: what a benchmark host needs besides kitt itself: `build` makes the kitt image
 * natively for this host, `run` takes campaign cells from a kitt server, `service` installs `run`
 * as a systemd unit. Errors are one line, as in kitt's own CLI.
 */
export function agentMain(argv: string[] = process.argv): Promise<number> {
  return runProgram(
    {
      name: 'kitt-agent',
      description:
        "A benchmark host for kitt: build kitt's image natively for this machine, run a kitt server's campaign cells, or install that as a systemd service.",
      debugHelp: 'print stack traces and the full build output',
      register: (program, context) => {
        registerBuildCommand(program, context);
        registerRunCommand(program, context);
        registerServiceCommand(program, context);
      },
    },
    argv,
  );
}
