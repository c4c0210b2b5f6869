import type { Command } from 'commander';
import { KittError } from '../../core/errors.js';
import type { CliContext } from '../cli-context.js';

// Scaffold: replaced by the module that implements `kitt calibrate`.
export function registerCalibrateCommand(program: Command, _context: CliContext): void {
  program
    .command('calibrate')
    .description('(not built yet)')
    .action(() => {
      throw new KittError('INTERNAL', '`kitt calibrate` is not built yet');
    });
}
