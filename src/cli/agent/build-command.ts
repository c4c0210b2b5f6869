import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import Docker from 'dockerode';
import { formatBytes } from '../../core/units.js';
import type { CliContext } from '../cli-context.js';
import { buildKittImage } from './build-kitt-image.js';

interface BuildFlags {
  tag: string;
  base?: string;
  context: string;
  file: string;
  network: string;
  cache: boolean;
}

/** The kitt checkout this program runs from (dist/cli/agent/ → the package root). */
const packageRoot = () => fileURLToPath(new URL('../../../', import.meta.url));

/** `kitt-agent build`: builds and tags the kitt image through the Docker Engine API. */
export function registerBuildCommand(program: Command, context: CliContext): void {
  program
    .command('build')
    .description("build kitt's image natively for this host's architecture and tag it")
    .option('-t, --tag <image>', 'tag for the built image', 'kitt:local')
    .option('--base <image>', "base image, in place of the Dockerfile's NODE_IMAGE (node:24-bookworm-slim)")
    .option('--context <dir>', 'kitt checkout to build from', packageRoot())
    .option('-f, --file <path>', 'Dockerfile, relative to the context', 'Dockerfile')
    .option('--network <mode>', 'network of the build steps (host reaches mirrors without a Docker bridge)', 'host')
    .option('--no-cache', 'rebuild every step')
    .action(async (flags: BuildFlags) => {
      const built = await buildKittImage(new Docker(), {
        contextDir: resolve(flags.context),
        dockerfile: flags.file,
        tag: flags.tag,
        ...(flags.base ? { baseImage: flags.base } : {}),
        network: flags.network,
        noCache: !flags.cache,
        progress: context.progress,
        ...(context.debug ? { onOutput: (line: string) => context.stderr.write(`${line}\n`) } : {}),
        signal: context.signal,
      });
      context.stdout.write(
        `built ${built.tag} (${built.id.replace(/^sha256:/, '').slice(0, 12)}, linux/${built.architecture}, ` +
          `${formatBytes(built.sizeBytes)}) in ${Math.round(built.durationMs / 1000)} s\n`,
      );
    });
}
