import type { Command } from 'commander';
import { KittError } from '../../core/errors.js';
import type { CliContext } from '../cli-context.js';

// Scaffold: replaced by the module that implements `kitt model`.
export function registerModelCommand(program: Command, _context: CliContext): void {
  program
    .command('model')
    .description('(not built yet)')
    .action(() => {
      throw new KittError('INTERNAL', '`kitt model` is not built yet');
    });
}
