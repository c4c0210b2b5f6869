import { configuredEngineNames, engineConfigOf, type KittConfig } from '../../config/config-schema.js';
import { KittError } from '../../core/errors.js';
import { resolveKittHome } from '../../core/kitt-home.js';
import type { Progress } from '../../core/progress.js';
import { revealEnv } from '../../core/secret.js';
import { parseDurationMs } from '../../core/units.js';
import { ENGINE_NAMES, isEngineName, parseEngineName } from '../../engines/catalog.js';
import type { EngineRequest, RunningEngine } from '../../engines/engine.js';
import type { EngineSettings } from '../../engines/engine-settings.js';
import { startEngine } from '../../engines/start-engine.js';
import { createDockerRuntime, type DockerRuntime } from '../../runtime/docker/docker-runtime.js';
import { ProcessRuntime } from '../../runtime/process/process-runtime.js';
import type { StatsSource } from '../../runtime/sample-stats.js';

/** Starts engines in any mode with the right runtime, and knows how to sample them. */
export interface EngineStarter {
  start(request: EngineRequest, context: { progress: Progress; signal: AbortSignal }): Promise<RunningEngine>;
  statsSourceFor(engine: RunningEngine): { runtime: StatsSource<unknown>; ref: unknown } | null;
  close(): Promise<void>;
}

/**
 * Checks every engine name the config uses (`engines.<name>`, `engines.profiles.*.engine`,
 * `run.engine`) against the catalog: the config schema cannot know the catalog. One line names
 * every bad key and the valid engines.
 */
export function assertEngineNames(config: KittConfig): void {
  const known = { has: isEngineName };
  const bad = [
    ...configuredEngineNames(config)
      .filter((name) => !known.has(name))
      .map((name) => `engines.${name}`),
    ...Object.entries(config.engines.profiles ?? {})
      .filter(([, profile]) => !known.has(profile.engine))
      .map(([name, profile]) => `engines.profiles.${name}.engine "${profile.engine}"`),
    ...(config.run.engine !== undefined && !known.has(config.run.engine) ? [`run.engine "${config.run.engine}"`] : []),
  ];
  if (bad.length > 0) {
    throw new KittError('CONFIG_INVALID', `unknown engine in the config: ${bad.join(', ')}`, {
      hint: `use one of: ${ENGINE_NAMES.join(', ')}`,
    });
  }
}

/** The engines part of the config, as the plain data engines take. */
export function engineSettingsFrom(config: KittConfig): EngineSettings {
  const images: Record<string, string> = {};
  const args: Record<string, readonly string[]> = {};
  const env: Record<string, Readonly<Record<string, string>>> = {};
  const startupTimeoutMs: Record<string, number> = {};
  assertEngineNames(config);
  for (const key of configuredEngineNames(config)) {
    const engine = engineConfigOf(config, key);
    if (!engine) continue;
    const name = parseEngineName(key);
    if (engine.image) images[name] = engine.image;
    if (engine.args) args[name] = engine.args;
    if (engine.env) env[name] = revealEnv(engine.env);
    if (engine.startupTimeout !== undefined) startupTimeoutMs[name] = parseDurationMs(engine.startupTimeout);
  }
  const profiles = Object.fromEntries(
    Object.entries(config.engines.profiles ?? {}).map(([name, profile]) => [
      name,
      {
        engine: parseEngineName(profile.engine),
        ...(profile.args ? { args: profile.args } : {}),
        ...(profile.env ? { env: revealEnv(profile.env) } : {}),
        ...(profile.image ? { image: profile.image } : {}),
      },
    ]),
  );
  return { images, args, env, startupTimeoutMs, profiles };
}

export function createEngineStarter(options: {
  config: KittConfig;
  env: NodeJS.ProcessEnv;
  pull: boolean;
}): EngineStarter {
  const settings = engineSettingsFrom(options.config);
  let docker: DockerRuntime | undefined;
  let processes: ProcessRuntime | undefined;
  const dockerRuntime = () => {
    docker ??= createDockerRuntime({ env: options.env });
    return docker;
  };
  const processRuntime = () => {
    processes ??= new ProcessRuntime({ home: resolveKittHome(options.env) });
    return processes;
  };
  const profile = options.config.run.profile;
  return {
    start: (request, context) =>
      startEngine(request, {
        progress: context.progress,
        signal: context.signal,
        settings,
        profile,
        pull: options.pull,
        ...(request.mode === 'docker' ? { runtime: dockerRuntime() } : {}),
        ...(request.mode === 'native' ? { processes: processRuntime() } : {}),
      }),
    statsSourceFor: (engine) => {
      if (engine.mode === 'docker')
        return { runtime: dockerRuntime(), ref: { id: engine.handle, name: engine.handle } };
      if (engine.mode === 'native') {
        return { runtime: processRuntime(), ref: { pid: Number(engine.handle), name: engine.name } };
      }
      return null;
    },
    close: async () => {},
  };
}
