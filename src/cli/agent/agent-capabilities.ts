import { statfs } from 'node:fs/promises';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { configuredEngineNames, engineConfigOf, type KittConfig } from '../../config/config-schema.js';
import { ENGINE_CATALOG, ENGINE_NAMES } from '../../engines/catalog.js';
import { collectHardware } from '../../hardware/fingerprint.js';
import type { ContainerRuntime } from '../../runtime/container-runtime.js';
import { createDockerRuntime } from '../../runtime/docker/docker-runtime.js';
import type { AgentRegistration } from '../../server/fleet/agent-registry.js';
import { JOB_MODES } from '../../server/fleet/job-classes.js';

/** How long the daemon has to say which engine images it holds before the agent registers without them. */
const IMAGES_TIMEOUT_MS = 2_000;

export interface DescribeHostOptions {
  /** Its `engines.<name>.image` and profiles' images are looked for too. */
  readonly config?: Pick<KittConfig, 'engines'> | undefined;
  /** Defaults to the daemon at DOCKER_HOST (or the default socket). */
  readonly runtime?: Pick<ContainerRuntime, 'imageExists'> | undefined;
}

/**
 * What this host is and can run, as the agent registers it. Its fingerprint is the hardware's with
 * the agent's home, so two agents of one machine (two homes) are two agents, and an agent that
 * restarts on its home is the same one.
 */
export async function describeAgentHost(
  home: string,
  env: NodeJS.ProcessEnv,
  options: DescribeHostOptions = {},
): Promise<AgentRegistration> {
  const hardware = await collectHardware({ env, dockerTimeoutMs: 1_000 });
  const docker = hardware.docker.reachable;
  // every mode but docker runs engines as processes of this host; docker needs a daemon that answers
  const modes = JOB_MODES.filter((mode) => mode !== 'docker' || docker);
  const [disk, images] = await Promise.all([
    statfs(home).catch(() => undefined),
    docker
      ? presentImages(options.runtime ?? createDockerRuntime({ env }), engineImages(options.config), IMAGES_TIMEOUT_MS)
      : [],
  ]);
  return {
    name: `${hostname()}:${resolve(home)}`,
    fingerprint: `${hardware.fingerprint}:${resolve(home)}`,
    capabilities: {
      modes,
      gpus: hardware.gpu.available ? hardware.gpu.gpus.length : 0,
      arch: hardware.cpu.arch,
      docker,
      ...(disk ? { freeDiskBytes: Number(disk.bavail) * Number(disk.bsize) } : {}),
      engines: [...ENGINE_NAMES],
      images,
    },
  };
}

/** Every image kitt's engines may run: each catalog choice, then the config's overrides; no repeats. */
export function engineImages(config?: Pick<KittConfig, 'engines'>): string[] {
  const catalog = Object.values(ENGINE_CATALOG).flatMap((definition) => definition.images.map((c) => c.image));
  const configured = config
    ? [
        ...configuredEngineNames(config).map((name) => engineConfigOf(config, name)?.image),
        ...Object.values(config.engines.profiles ?? {}).map((profile) => profile.image),
      ]
    : [];
  return [...new Set([...catalog, ...configured].filter((image): image is string => image !== undefined))];
}

/**
 * The candidates the daemon holds, in the candidates' order. One that cannot be told is left out,
 * and so is everything when the daemon does not answer within timeoutMs: an agent registers
 * without images rather than not at all.
 */
export async function presentImages(
  runtime: Pick<ContainerRuntime, 'imageExists'>,
  candidates: readonly string[],
  timeoutMs: number,
): Promise<string[]> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((done) => {
    timer = setTimeout(() => done(undefined), timeoutMs);
  });
  const answers = Promise.all(candidates.map((image) => runtime.imageExists(image).catch(() => false)));
  try {
    const present = await Promise.race([answers, late]);
    return present ? candidates.filter((_, i) => present[i]) : [];
  } finally {
    clearTimeout(timer);
  }
}
