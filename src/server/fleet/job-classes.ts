import { createHash } from 'node:crypto';
import type { CellContent } from '../../campaign/plan-campaign.js';
import { ENGINE_MODES, type EngineMode } from '../../engines/engine.js';

/**
 * Jobs are routed into one queue per class of what they need: the engine's mode (docker, native,
 * embedded) and whether the cell asks for GPUs. An agent fetches only from the classes it can
 * serve, so a job never lands on a host without the mode or the GPUs it needs. Images are not a
 * class: an agent without a docker cell's image still leases it, and the attempt fails naming it.
 */
export const JOB_MODES = ENGINE_MODES as readonly Exclude<EngineMode, 'external'>[];
export type JobMode = Exclude<EngineMode, 'external'>;

export interface JobClass {
  readonly mode: JobMode;
  readonly gpu: boolean;
}

/** What an agent says it can run, as it registers. */
export interface AgentCapabilities {
  readonly modes: readonly JobMode[];
  readonly gpus: number;
}

export const queueName = (jobClass: JobClass): string => `kitt-cell-${jobClass.mode}-${jobClass.gpu ? 'gpu' : 'cpu'}`;

export const ALL_JOB_CLASSES: readonly JobClass[] = JOB_MODES.flatMap((mode) => [
  { mode, gpu: false },
  { mode, gpu: true },
]);

/** The class a cell's job goes to. */
export function classOfCell(content: Pick<CellContent, 'engine' | 'limits'>): JobClass {
  const mode = (JOB_MODES as readonly string[]).includes(content.engine.mode)
    ? (content.engine.mode as JobMode)
    : 'docker';
  const gpus = content.limits.gpus;
  return { mode, gpu: gpus !== undefined && String(gpus) !== '0' && String(gpus) !== '' };
}

/** The classes an agent serves: its modes, with GPU classes only where it has a GPU. */
export function classesOfAgent(capabilities: AgentCapabilities): JobClass[] {
  return ALL_JOB_CLASSES.filter(
    (jobClass) => capabilities.modes.includes(jobClass.mode) && (!jobClass.gpu || capabilities.gpus > 0),
  );
}

/**
 * The job id of a cell of a campaign: a UUID made from both (a name-based one, as RFC 4122's
 * version 5 is), so submitting a campaign twice never queues a cell twice, and the server finds a
 * cell's job again after a restart without keeping a map.
 */
export function jobIdOf(campaignId: string, cellId: string): string {
  const hex = createHash('sha1').update(`kitt-fleet/${campaignId}/${cellId}`).digest('hex').slice(0, 32).split('');
  hex[12] = '5';
  hex[16] = ((Number.parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  const h = hex.join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
