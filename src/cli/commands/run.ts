import type { Command } from 'commander';
import { KittError } from '../../core/errors.js';
import type { CliContext } from '../cli-context.js';

// Scaffold: replaced by the module that implements `kitt run`.
export function registerRunCommand(program: Command, _context: CliContext): void {
  program
    .command('run')
    .description('(not built yet)')
    .action(() => {
      throw new KittError('INTERNAL', '`kitt run` is not built yet');
    });
}
