import type { Command } from 'commander';
import { KittError } from '../../core/errors.js';
import type { CliContext } from '../cli-context.js';

// Scaffold: replaced by the module that implements `kitt config`.
export function registerConfigCommand(program: Command, _context: CliContext): void {
  program
    .command('config')
    .description('(not built yet)')
    .action(() => {
      throw new KittError('INTERNAL', '`kitt config` is not built yet');
    });
}
