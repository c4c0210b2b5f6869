import type { Command } from 'commander';
import type { CliContext } from './cli-context.js';
import { registerAgentsCommand } from './commands/agents.js';
import { registerCalibrateCommand } from './commands/calibrate.js';
import { registerCampaignCommand } from './commands/campaign.js';
import { registerCompareCommand } from './commands/compare.js';
import { registerConfigCommand } from './commands/config.js';
import { registerEnginesCommand } from './commands/engines.js';
import { registerFingerprintCommand } from './commands/fingerprint.js';
import { registerModelCommand } from './commands/model.js';
import { registerReportCommand } from './commands/report.js';
import { registerResultsCommand } from './commands/results.js';
import { registerRunCommand } from './commands/run.js';
import { registerServerCommand } from './commands/server.js';

/** Every command of the kitt CLI, in the order `kitt --help` lists them. */
export function registerCommands(program: Command, context: CliContext): void {
  registerRunCommand(program, context);
  registerCalibrateCommand(program, context);
  registerAgentsCommand(program, context);
  registerCampaignCommand(program, context);
  registerEnginesCommand(program, context);
  registerModelCommand(program, context);
  registerResultsCommand(program, context);
  registerReportCommand(program, context);
  registerCompareCommand(program, context);
  registerConfigCommand(program, context);
  registerFingerprintCommand(program, context);
  registerServerCommand(program, context);
}
