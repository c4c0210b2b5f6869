import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { KittError } from '../../core/errors.js';
import { ensureWritableDir, homePaths, resolveKittHome } from '../../core/kitt-home.js';
import { formatBytes } from '../../core/units.js';
import { reuseSyntheticModel, syntheticModelPath } from '../../models/default-model.js';
import { bigintReplacer, plainValue, summarizeValue } from '../../models/gguf-format.js';
import { readGgufMetadata } from '../../models/gguf-reader.js';
import { parseModelPreset, parseModelSeed } from '../../models/model-presets.js';
import { synthesizeModel } from '../../models/synthesize-model.js';
import { type GgufModelInfo, validateGguf } from '../../models/validate-gguf.js';
import type { CliContext } from '../cli-context.js';

interface SynthOptions {
  out?: string;
  preset: string;
  seed: string;
  force?: boolean;
}

/** `kitt model synth | inspect`: make synthetic GGUF models and look inside any GGUF. */
export function registerModelCommand(program: Command, context: CliContext): void {
  const model = program.command('model').description('make synthetic GGUF models and inspect GGUF files');

  model
    .command('synth')
    .description('write a llama-architecture GGUF with seeded random weights and a real 32000-token tokenizer')
    .option('--out <file>', 'where to write it (default: <kitt home>/models/kitt-synthetic-<preset>-seed<N>.gguf)')
    .option('--preset <name>', 'model size: tiny (default, ~9 MB) or small (~39 MB)', 'tiny')
    .option('--seed <n>', 'weight seed, 0 to 4294967295; the same seed gives the same bytes', '0')
    .option('--force', 'write even when the file exists')
    .addHelpText(
      'after',
      `
The model loads in llama.cpp (and every engine built on it) and generates meaningless text at
full speed: use it to test and benchmark the serving stack, never the model. Its metadata says so:
general.name kitt-synthetic-<preset>, kitt.synthetic = true, kitt.seed = N.
An existing file of the same preset and seed is reused; another file at --out needs --force.
The path of the model is printed on stdout.`,
    )
    .action(async (options: SynthOptions) => {
      const preset = parseModelPreset(options.preset);
      const seed = parseModelSeed(options.seed);
      const path = options.out
        ? resolve(options.out)
        : syntheticModelPath(ensureWritableDir(homePaths(resolveKittHome(context.env)).models), preset.name, seed);
      if (!options.force && existsSync(path)) {
        // a foreign file at --out is an error below, so only the default path narrates why it is remade
        const reused = await reuseSyntheticModel(path, preset.name, seed, options.out ? undefined : context.progress);
        if (reused !== undefined) {
          context.progress.info(`reusing ${path} (pass --force to write it again)`);
          context.stdout.write(`${path}\n`);
          return;
        }
        throw new KittError('USAGE', `${path} already exists`, {
          hint: 'pass --force to overwrite it, or choose another --out',
        });
      }
      await synthesizeModel({ preset: preset.name, seed, outPath: path, progress: context.progress });
      context.stdout.write(`${path}\n`);
    });

  model
    .command('inspect')
    .description('check that a file is a whole GGUF model and print what its metadata says')
    .argument('<file>', 'a .gguf file')
    .option('--json', 'print JSON: {model, metadata, tensors}')
    .option('--all', 'list every metadata key (default: all but tokenizer.*)')
    .action(async (file: string, options: { json?: boolean; all?: boolean }) => {
      const path = resolve(file);
      const info = await validateGguf(path);
      const header = await readGgufMetadata(path);
      if (options.json) {
        const metadata = Object.fromEntries(
          [...header.metadata].map(([key, value]) => [
            key,
            value.type === 'array' ? summarizeValue(value) : plainValue(value),
          ]),
        );
        const json = { model: info, metadata, tensors: header.tensors };
        context.stdout.write(`${JSON.stringify(json, bigintReplacer, 2)}\n`);
        return;
      }
      context.stdout.write(`${describeModel(info)}\n`);
      const keys = [...header.metadata].filter(([key]) => options.all || !key.startsWith('tokenizer.'));
      const hidden = header.metadata.size - keys.length;
      const width = Math.max(...keys.map(([key]) => key.length));
      context.stdout.write(
        `\nmetadata (${header.metadata.size} keys${hidden > 0 ? `, ${hidden} tokenizer.* hidden; --all shows them` : ''}):\n`,
      );
      for (const [key, value] of keys) context.stdout.write(`  ${key.padEnd(width)}  ${summarizeValue(value)}\n`);
    });
}

function describeModel(info: GgufModelInfo): string {
  const optional = (value: number | undefined) => (value === undefined ? '?' : String(value));
  const rows: Array<[string, string]> = [
    ['path', info.path],
    ['size', `${formatBytes(info.fileBytes)} (${info.fileBytes} bytes)`],
    ['format', `GGUF v${info.ggufVersion}, ${info.tensorCount} tensors`],
    ['architecture', info.architecture],
    ['name', info.name ?? '(none)'],
    [
      'synthetic',
      info.synthetic ? `yes: random weights (preset ${info.preset ?? '?'}, seed ${optional(info.seed)})` : 'no',
    ],
    ['context', optional(info.contextLength)],
    ['embedding', optional(info.embeddingLength)],
    ['layers', optional(info.blockCount)],
    ['vocabulary', optional(info.vocabSize)],
  ];
  return rows.map(([key, value]) => `${key.padEnd(13)} ${value}`).join('\n');
}
