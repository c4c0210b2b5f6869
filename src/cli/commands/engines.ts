import type { Command } from 'commander';
import { KittError } from '../../core/errors.js';
import type { CliContext } from '../cli-context.js';

// Scaffold: replaced by the module that implements `kitt engines`.
export function registerEnginesCommand(program: Command, _context: CliContext): void {
  program
    .command('engines')
    .description('(not built yet)')
    .action(() => {
      throw new KittError('INTERNAL', '`kitt engines` is not built yet');
    });
}
