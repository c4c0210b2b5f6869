import type { Command } from 'commander';
import { KittError } from '../../core/errors.js';
import type { CliContext } from '../cli-context.js';

// Scaffold: replaced by the module that implements `kitt web`.
export function registerWebCommand(program: Command, _context: CliContext): void {
  program
    .command('web')
    .description('(not built yet)')
    .action(() => {
      throw new KittError('INTERNAL', '`kitt web` is not built yet');
    });
}
