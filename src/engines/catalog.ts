import { KittError } from '../core/errors.js';
import { checkModelFormat } from './detect-model.js';
import { embeddedEngine } from './embedded/embedded-engine.js';
import { ENGINE_MODES, type EngineMode, type EngineName, type EngineRequest } from './engine.js';
import type { EngineDefinition, ModelCheck, ModelFormat } from './engine-definition.js';
import { exllamav2Engine } from './exllamav2.js';
import { llamacppEngine } from './llamacpp.js';
import { ollamaEngine } from './ollama.js';
import { sglangEngine } from './sglang.js';
import { tgiEngine } from './tgi.js';
import { vllmEngine } from './vllm.js';

/**
 * Every engine kitt can start, by name: one line each. The first is the default (the embedded
 * engine needs no Docker, no executable and no model download beyond the synthetic one).
 */
export const ENGINE_CATALOG = {
  embedded: embeddedEngine,
  llamacpp: llamacppEngine,
  vllm: vllmEngine,
  sglang: sglangEngine,
  tgi: tgiEngine,
  ollama: ollamaEngine,
  exllamav2: exllamav2Engine,
} as const satisfies Readonly<Record<EngineName, EngineDefinition>>;

const BY_NAME: Readonly<Record<EngineName, EngineDefinition>> = ENGINE_CATALOG;

/** All engine names a person may pass to -e, the default first. */
export const ENGINE_NAMES: readonly EngineName[] = Object.keys(ENGINE_CATALOG);

/** The engine `kitt run` uses when none is named. */
export const DEFAULT_ENGINE: EngineName = ENGINE_NAMES[0]!;

/** `-e` spellings are compared without case, dashes, dots or underscores. */
function normalise(text: string): string {
  return text.trim().toLowerCase().replace(/[-_.]/g, '');
}

const BY_SPELLING: ReadonlyMap<string, EngineName> = new Map(
  Object.values(BY_NAME).flatMap((definition) =>
    [definition.name, ...(definition.aliases ?? [])].map((spelling) => [normalise(spelling), definition.name] as const),
  ),
);

/** Whether `text` names an engine (its name or an alias). */
export function isEngineName(text: string): boolean {
  return BY_SPELLING.has(normalise(text));
}

/** Validates an engine name from the command line or config; an unknown one lists the valid names. */
export function parseEngineName(text: string): EngineName {
  const resolved = BY_SPELLING.get(normalise(text));
  if (resolved !== undefined) return resolved;
  throw new KittError('UNKNOWN_ENGINE', `unknown engine "${text}"`, {
    hint: `use one of: ${ENGINE_NAMES.join(', ')}`,
  });
}

/** The definition of an engine; an unknown name is an error that names the valid ones. */
export function engineDefinition(name: string): EngineDefinition {
  return BY_NAME[parseEngineName(name)]!;
}

/** Modes each engine runs in. */
export function modesOf(name: EngineName): readonly EngineMode[] {
  return engineDefinition(name).modes;
}

/** The mode an engine runs in when none is named: the first it lists. */
export function defaultModeOf(name: EngineName): EngineMode {
  return modesOf(name)[0]!;
}

/** Every mode some engine runs in, in the order ENGINE_MODES lists them (for --mode choices). */
export function catalogModes(): EngineMode[] {
  const modes = new Set(Object.values(BY_NAME).flatMap((d) => d.modes));
  return ENGINE_MODES.filter((mode) => modes.has(mode));
}

/** Engines that load a format, for hints that name the right engine. */
export function enginesForFormat(format: ModelFormat): EngineName[] {
  return Object.values(BY_NAME)
    .filter((d) => d.formats.includes(format))
    .map((d) => d.name);
}

/** Detects the model at `path` and checks that the engine loads its format. */
export function checkEngineModel(definition: EngineDefinition, path: string): Promise<ModelCheck> {
  return checkModelFormat(path, definition.name, definition.formats, enginesForFormat);
}

/**
 * Whether kitt enforces resource limits on an engine in this mode (container cgroups): calibration
 * needs that, a host process or kitt's own child only records them.
 */
export function enforcesLimits(mode: EngineMode): boolean {
  return mode === 'docker';
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
