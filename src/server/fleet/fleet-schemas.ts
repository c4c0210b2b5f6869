import { z } from '@hono/zod-openapi';
import { CAMPAIGN_CELL_STATES } from '../../store/campaign-store.js';
import { JOB_MODES, type JobMode } from './job-classes.js';

export const CampaignSubmitSchema = z
  .object({
    content: z.string().min(1).openapi({ description: "the campaign file's YAML" }),
    source: z
      .string()
      .min(1)
      .openapi({ description: 'the path it was read from: models and datasets are found relative to its folder' }),
  })
  .openapi('CampaignSubmit');

export const CampaignIdParamSchema = z.object({ id: z.string().min(1).max(200) });

const CellSchema = z.object({
  cellId: z.string(),
  position: z.number(),
  state: z.enum(CAMPAIGN_CELL_STATES),
  attempts: z.number(),
  runId: z.string().optional(),
  runIds: z.array(z.string()),
  error: z.string().optional(),
  content: z.unknown(),
  estimateS: z.number().optional(),
  campaignId: z.string(),
  updatedAt: z.string(),
});

export const FleetCampaignStatusSchema = z
  .object({
    campaign: z.object({ id: z.string(), name: z.string() }).passthrough(),
    cells: z.array(CellSchema),
    counts: z.record(z.string(), z.number()),
    finished: z.boolean(),
  })
  .openapi('FleetCampaignStatus');

export const CampaignSubmittedSchema = z
  .object({ id: z.string(), name: z.string(), cells: z.number(), queued: z.number() })
  .openapi('CampaignSubmitted');

export const AgentRegisterSchema = z
  .object({
    name: z.string().min(1).max(200),
    fingerprint: z.string().min(1).max(2000),
    capabilities: z.object({
      modes: z.array(z.enum(JOB_MODES as [JobMode, ...JobMode[]])),
      gpus: z.number().int().min(0),
      arch: z.string(),
      docker: z.boolean(),
      freeDiskBytes: z.number().optional(),
      engines: z.array(z.string()).optional(),
      images: z.array(z.string()).optional(),
    }),
  })
  .openapi('AgentRegister');

export const AgentIdParamSchema = z.object({ id: z.string().min(1).max(100) });
export const JobIdParamSchema = z.object({ jobId: z.string().uuid() });
export const NextQuerySchema = z.object({ waitS: z.coerce.number().min(0).max(60).default(20) });

export const LeasedJobSchema = z
  .object({
    jobId: z.string(),
    attempt: z.number(),
    leaseS: z.number(),
    campaignId: z.string(),
    cellId: z.string(),
    content: z.unknown(),
    labels: z.unknown(),
    slo: z.string().optional(),
  })
  .openapi('LeasedJob');

export const JobProgressSchema = z.object({
  attempt: z.number().int().min(1),
  runId: z.string().optional(),
  line: z.string().max(2000).optional(),
});
export const JobCompleteSchema = z.object({
  attempt: z.number().int().min(1),
  runId: z.string().min(1),
  status: z.literal('succeeded'),
});
export const JobFailSchema = z.object({
  attempt: z.number().int().min(1),
  runId: z.string().optional(),
  error: z.string().min(1).max(4000),
});
