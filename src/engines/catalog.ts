import { KittError } from '../core/errors.js';
import type { EngineMode, EngineName, EngineRequest } from './engine.js';
import type { EngineDefinition, ServerEngineName } from './engine-definition.js';
import { exllamav2Engine } from './exllamav2.js';
import { llamacppEngine } from './llamacpp.js';
import { ollamaEngine } from './ollama.js';
import { vllmEngine } from './vllm.js';

/** Every engine kitt can start as a server, by name. `embedded` runs inside kitt and is not listed. */
export const ENGINE_CATALOG: Readonly<Record<ServerEngineName, EngineDefinition>> = {
  llamacpp: llamacppEngine,
  vllm: vllmEngine,
  ollama: ollamaEngine,
  exllamav2: exllamav2Engine,
};

/** All engine names a person may pass to -e, embedded first (the zero-setup default). */
export const ENGINE_NAMES: readonly EngineName[] = ['embedded', ...(Object.keys(ENGINE_CATALOG) as ServerEngineName[])];

/** Modes each engine runs in. */
export function modesOf(name: EngineName): readonly EngineMode[] {
  return name === 'embedded' ? ['embedded'] : ENGINE_CATALOG[name].modes;
}

/** Validates an engine name from the command line; an unknown one lists the valid names. */
export function parseEngineName(text: string): EngineName {
  const name = text.trim().toLowerCase().replace(/[-_.]/g, '');
  const aliases: Record<string, EngineName> = {
    llamacppserver: 'llamacpp',
    llamaserver: 'llamacpp',
    tabbyapi: 'exllamav2',
  };
  const resolved = aliases[name] ?? name;
  if ((ENGINE_NAMES as readonly string[]).includes(resolved)) return resolved as EngineName;
  throw new KittError('UNKNOWN_ENGINE', `unknown engine "${text}"`, {
    hint: `use one of: ${ENGINE_NAMES.join(', ')}`,
  });
}

/** The definition of a server engine; `embedded` and unknown names are errors that name the valid ones. */
export function engineDefinition(name: string): EngineDefinition {
  const engine = parseEngineName(name);
  if (engine === 'embedded') {
    throw new KittError('UNKNOWN_ENGINE', 'the embedded engine runs inside kitt and has no server definition', {
      hint: `use --mode embedded, or one of: ${Object.keys(ENGINE_CATALOG).join(', ')}`,
    });
  }
  return ENGINE_CATALOG[engine];
}

/** Checks that the engine runs in the requested mode, naming the modes it has. */
export function assertModeSupported(request: Pick<EngineRequest, 'engine' | 'mode'>): void {
  const modes = modesOf(request.engine);
  if (!modes.includes(request.mode)) {
    throw new KittError('USAGE', `${request.engine} does not run in ${request.mode} mode`, {
      hint: `use --mode ${modes.join(' or --mode ')}`,
    });
  }
}
