import { ENGINE_CATALOG } from './catalog.js';
import type { EngineDefinition, HostPlatform } from './engine-definition.js';
import type { EngineSettings } from './engine-settings.js';
import { selectImage } from './select-image.js';

/** One row of `kitt engines list`. */
export interface EngineRow {
  readonly engine: string;
  readonly port: string;
  readonly api: string;
  readonly formats: string;
  /** The image a CPU launch and a GPU launch would use on this host. */
  readonly image: string;
  readonly modes: string;
}

/** What `kitt engines list` shows, with the images chosen for this host (overrides from config applied). */
export function describeEngines(host: HostPlatform, settings: EngineSettings = {}): EngineRow[] {
  const rows: EngineRow[] = [];
  for (const definition of Object.values<EngineDefinition>(ENGINE_CATALOG)) {
    if (definition.images.length === 0) {
      rows.push({
        engine: definition.name,
        port: definition.defaultPort === 0 ? 'any' : String(definition.defaultPort),
        api: definition.loadApi,
        formats: definition.formats.join(','),
        image: '(inside kitt)',
        modes: definition.modes.join(','),
      });
      continue;
    }
    const override = settings.images?.[definition.name];
    const pick = (wantsGpu: boolean) => selectImage(definition.images, host, { wantsGpu, override })?.image;
    const cpu = definition.requiresGpu ? undefined : pick(false);
    const gpu = pick(true);
    const images = [cpu, gpu && gpu !== cpu ? `${gpu}${cpu ? ' (gpu)' : ''}` : undefined].filter(Boolean);
    rows.push({
      engine: definition.name,
      port: String(definition.defaultPort),
      api: definition.loadApi,
      formats: definition.formats.join(','),
      image: images.length > 0 ? images.join(', ') : `none for ${host.arch} (set engines.${definition.name}.image)`,
      modes: definition.modes.join(','),
    });
  }
  return rows;
}
