import type { Command } from 'commander';
import { describeConfig, describeConfigJson } from '../../config/describe-config.js';
import { ENV_OVERRIDES } from '../../config/env-overrides.js';
import { findConfigFile, loadConfig } from '../../config/load-config.js';
import { homePaths, resolveKittHome } from '../../core/kitt-home.js';
import type { CliContext } from '../cli-context.js';

function printValue(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** `kitt config show|path`: the effective config with each value's origin, and which file is read. */
export function registerConfigCommand(program: Command, context: CliContext): void {
  const config = program
    .command('config')
    .description('show the effective configuration and where each value came from')
    .addHelpText(
      'after',
      `
kitt reads one YAML file, the first it finds: --config PATH, $KITT_CONFIG, ./kitt.yaml,
<kitt home>/config.yaml. Environment variables override the file, flags override both:
${ENV_OVERRIDES.map((o) => `  ${o.name.padEnd(24)} ${o.keyPath.join('.')}`).join('\n')}
  KITT_HOME                kitt's home (models, results, kitt.db, config.yaml); default ~/.kitt`,
    );

  config
    .command('show')
    .description('print every effective value with its origin (default, file, env or flag); secrets masked')
    .option('--config <path>', 'read this config file')
    .option('--json', 'print JSON: {file, home, config, sources}')
    .action((options: { config?: string; json?: boolean }) => {
      const loaded = loadConfig({ env: context.env, explicitPath: options.config });
      if (options.json) {
        context.stdout.write(`${JSON.stringify(describeConfigJson(loaded), null, 2)}\n`);
        return;
      }
      const entries = describeConfig(loaded);
      const width = Math.max(...entries.map((entry) => entry.keyPath.length));
      context.stdout.write(`# file: ${loaded.file ?? '(none; defaults and environment only)'}\n`);
      for (const entry of entries) {
        context.stdout.write(`${entry.keyPath.padEnd(width)}  ${printValue(entry.value)}  (${entry.source})\n`);
      }
    });

  config
    .command('path')
    .description('print the config file kitt reads, or where it looks when there is none')
    .option('--config <path>', 'the file --config would name')
    .action((options: { config?: string }) => {
      const found = findConfigFile({ env: context.env, explicitPath: options.config });
      if (found) {
        context.stdout.write(`${found.path}\n`);
        return;
      }
      const home = homePaths(resolveKittHome(context.env)).config;
      context.stderr.write(`no config file; kitt looks for --config, $KITT_CONFIG, ./kitt.yaml, then ${home}\n`);
      context.stdout.write(`${home}\n`);
    });
}
