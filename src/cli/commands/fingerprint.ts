import type { Command } from 'commander';
import { KittError } from '../../core/errors.js';
import type { CliContext } from '../cli-context.js';

// Scaffold: replaced by the module that implements `kitt fingerprint`.
export function registerFingerprintCommand(program: Command, _context: CliContext): void {
  program
    .command('fingerprint')
    .description('(not built yet)')
    .action(() => {
      throw new KittError('INTERNAL', '`kitt fingerprint` is not built yet');
    });
}
