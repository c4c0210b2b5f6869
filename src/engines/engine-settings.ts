import { KittError } from '../core/errors.js';
import type { EngineName, EngineRequest } from './engine.js';
import type { ServerEngineName } from './engine-definition.js';

/** A named set of engine flags, env and image from config (`engines.profiles.<name>`). */
export interface EngineProfile {
  readonly engine: EngineName;
  readonly args?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly image?: string;
}

/**
 * The engine part of kitt's configuration, as plain data: the config loader maps the file into it,
 * so engines never read config files themselves.
 */
export interface EngineSettings {
  /** Image overrides per engine (`engines.<name>.image`), e.g. a digest-pinned vLLM. */
  readonly images?: Partial<Record<ServerEngineName, string>>;
  readonly profiles?: Readonly<Record<string, EngineProfile>>;
  /** Flags every launch of an engine gets (`engines.<name>.args`), before profile and --engine-arg. */
  readonly args?: Partial<Record<ServerEngineName, readonly string[]>>;
  /** Environment every launch of an engine gets (`engines.<name>.env`). */
  readonly env?: Partial<Record<ServerEngineName, Readonly<Record<string, string>>>>;
  /** Readiness budget overrides per engine, in milliseconds. */
  readonly startupTimeoutMs?: Partial<Record<ServerEngineName, number>>;
}

/** A request with config and profile folded in: config flags, then the profile's, then --engine-arg (the last wins). */
export interface ResolvedEngineRequest {
  readonly request: EngineRequest;
  readonly env: Readonly<Record<string, string>>;
  readonly imageOverride?: string | undefined;
}

/**
 * Applies an engine profile and the config's image override to a request. Precedence for the
 * image: --image, then the profile's image, then `engines.<name>.image`, then the catalog.
 */
export function resolveEngineRequest(
  request: EngineRequest,
  settings: EngineSettings = {},
  profileName?: string,
): ResolvedEngineRequest {
  let profile: EngineProfile | undefined;
  if (profileName !== undefined) {
    profile = settings.profiles?.[profileName];
    if (!profile) {
      const known = Object.keys(settings.profiles ?? {});
      throw new KittError('CONFIG_INVALID', `no engine profile "${profileName}"`, {
        hint: known.length > 0 ? `use one of: ${known.join(', ')}` : 'define it under engines.profiles in the config',
      });
    }
    if (profile.engine !== request.engine) {
      throw new KittError('USAGE', `engine profile "${profileName}" is for ${profile.engine}, not ${request.engine}`, {
        hint: `run with -e ${profile.engine}, or pick a ${request.engine} profile`,
      });
    }
  }
  const server = request.engine === 'embedded' ? undefined : request.engine;
  const configImage = server ? settings.images?.[server] : undefined;
  const configArgs = server ? (settings.args?.[server] ?? []) : [];
  const configEnv = server ? (settings.env?.[server] ?? {}) : {};
  return {
    request: { ...request, engineArgs: [...configArgs, ...(profile?.args ?? []), ...request.engineArgs] },
    env: { ...configEnv, ...(profile?.env ?? {}) },
    imageOverride: request.image ?? profile?.image ?? configImage,
  };
}
