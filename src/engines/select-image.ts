import { arch as osArch } from 'node:os';
import type { HostPlatform, ImageChoice, SelectedImage } from './engine-definition.js';

/** Docker's name for this machine's CPU architecture. */
export function hostArch(nodeArch: string = osArch()): HostPlatform['arch'] {
  return nodeArch === 'arm64' ? 'arm64' : 'amd64';
}

function matches(choice: ImageChoice, host: HostPlatform, wantsGpu: boolean): boolean {
  if (choice.arch !== undefined && choice.arch !== host.arch) return false;
  if (choice.gpu !== undefined && choice.gpu !== wantsGpu) return false;
  if (choice.minComputeCapability !== undefined) {
    if (!wantsGpu || host.gpuComputeCapability === undefined) return false;
    if (host.gpuComputeCapability < choice.minComputeCapability) return false;
  }
  return true;
}

/**
 * Picks the image for this host: an explicit override (--image, then config `engines.<name>.image`)
 * wins; otherwise the first catalog choice whose arch, GPU and compute-capability rules match.
 * Returns undefined when the catalog has nothing for this host (the caller names the override).
 */
export function selectImage(
  choices: readonly ImageChoice[],
  host: HostPlatform,
  options: { wantsGpu: boolean; override?: string | undefined },
): SelectedImage | undefined {
  if (options.override) {
    const known = choices.find((c) => c.image === options.override);
    return {
      image: options.override,
      source: 'override',
      ...(known?.entrypoint ? { entrypoint: known.entrypoint } : {}),
      ...(known?.buildScript ? { buildScript: known.buildScript } : {}),
    };
  }
  const choice = choices.find((c) => matches(c, host, options.wantsGpu));
  if (!choice) return undefined;
  return {
    image: choice.image,
    source: 'catalog',
    ...(choice.entrypoint ? { entrypoint: choice.entrypoint } : {}),
    ...(choice.buildScript ? { buildScript: choice.buildScript } : {}),
  };
}
