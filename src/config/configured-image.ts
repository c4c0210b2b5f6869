import { type EngineName, engineConfigOf, type KittConfig } from './config-schema.js';

/** What decides an image rule: the host's architecture, and its GPU when one is requested. */
export interface ImageHost {
  readonly arch: 'amd64' | 'arm64';
  readonly wantsGpu: boolean;
  readonly gpuComputeCapability?: number | undefined;
}

/**
 * The image the config asks for on this host, or undefined to let the engine catalog choose:
 * the first matching `engines.<name>.images` rule (arch, gpu, minimum compute capability), then
 * `engines.<name>.image`.
 */
export function configuredImage(config: KittConfig, engine: EngineName, host: ImageHost): string | undefined {
  const settings = engineConfigOf(config, engine);
  const rule = settings?.images?.find((candidate) => {
    if (candidate.arch !== undefined && candidate.arch !== host.arch) return false;
    if (candidate.gpu !== undefined && candidate.gpu !== host.wantsGpu) return false;
    if (candidate.minComputeCapability !== undefined) {
      if (!host.wantsGpu || host.gpuComputeCapability === undefined) return false;
      if (host.gpuComputeCapability < candidate.minComputeCapability) return false;
    }
    return true;
  });
  return rule?.image ?? settings?.image;
}
