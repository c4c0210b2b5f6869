import type { Command } from 'commander';
import { KittError } from '../../core/errors.js';
import type { CliContext } from '../cli-context.js';

// Scaffold: replaced by the module that implements `kitt results`.
export function registerResultsCommand(program: Command, _context: CliContext): void {
  program
    .command('results')
    .description('(not built yet)')
    .action(() => {
      throw new KittError('INTERNAL', '`kitt results` is not built yet');
    });
}
