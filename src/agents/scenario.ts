import { z } from 'zod';

/**
 * A scenario file (YAML or JSON) holds what the `kitt agents` flags hold, under the same names in
 * camelCase, plus what only a file can say well: the system prompt, the agents' goals and the tool
 * catalog. Flags given on the command line override the file's values.
 */
export const TOOL_NAME = /^[a-z][a-z0-9_]{0,31}$/;

const toolSchema = z.strictObject({
  name: z.string().regex(TOOL_NAME, 'a lower-case name such as search or read_file'),
  description: z.string().min(1),
  /** Median latency of the simulated tool, in the duration grammar (bare number: ms). */
  latency: z.union([z.string().min(1), z.number().nonnegative()]).optional(),
});

const rateValue = z.union([z.number().positive(), z.enum(['calibrated', 'auto', 'off']), z.string().min(1)]);

export const scenarioSchema = z.strictObject({
  /** Names the scenario's memories: runs of the same name recall each other's. Default: the file's name. */
  name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'letters, digits, dot, dash, underscore')
    .optional(),
  agents: z.number().int().positive().optional(),
  steps: z.number().int().positive().optional(),
  duration: z.union([z.string().min(1), z.number().positive()]).optional(),
  /** `thinks:acts`, e.g. `1:1` (every think acts) or `3:1` (one act per three thinks). */
  mix: z.string().min(1).optional(),
  toolLatency: z.union([z.string().min(1), z.number().nonnegative()]).optional(),
  contextLimit: z.number().int().positive().optional(),
  maxTokens: z.number().int().positive().optional(),
  seed: z.number().int().optional(),
  rate: rateValue.optional(),
  agentRate: z.number().positive().optional(),
  maxContexts: z.number().int().positive().optional(),
  topK: z.number().int().nonnegative().optional(),
  systemPrompt: z.string().min(1).optional(),
  goals: z.array(z.string().min(1)).min(1).optional(),
  tools: z.array(toolSchema).min(1).optional(),
});

export type ScenarioFile = z.infer<typeof scenarioSchema>;
export type ScenarioTool = z.infer<typeof toolSchema>;

/** Every problem of a scenario document, one line each (`tools.1.name: …`), or the parsed scenario. */
export function parseScenario(document: unknown): { scenario?: ScenarioFile; problems: string[] } {
  const parsed = scenarioSchema.safeParse(document ?? {});
  if (parsed.success) {
    const names = (parsed.data.tools ?? []).map((tool) => tool.name);
    const duplicate = names.find((name, index) => names.indexOf(name) !== index);
    if (duplicate) return { problems: [`tools: "${duplicate}" is listed twice`] };
    return { scenario: parsed.data, problems: [] };
  }
  return {
    problems: parsed.error.issues.map((issue) => `${issue.path.join('.') || '(top level)'}: ${issue.message}`),
  };
}

export const DEFAULT_SYSTEM_PROMPT =
  'You are an agent working towards a goal with tools. Each turn, answer with exactly one tool call as JSON: ' +
  '{"tool": "<name>", "arguments": {"query": "<text>"}}.';

export const DEFAULT_GOALS: readonly string[] = [
  'find the cheapest flight from Lisbon to Oslo next month',
  'summarise what is known about the failing nightly build',
  'collect three facts about the history of the printing press',
  'plan a vegetarian dinner for six people on a small budget',
  'work out which service is slowing down the checkout page',
  'draft a short reply to a customer asking about a late parcel',
  'compare two laptops for battery life and weight',
  'list the open questions before the team meeting on Friday',
];

/** The default tool catalog: names, descriptions and median latencies in ms. */
export const DEFAULT_TOOLS: readonly { name: string; description: string; latencyMs?: number }[] = [
  { name: 'search', description: 'search the web for a query' },
  { name: 'read', description: 'read a document found earlier', latencyMs: 40 },
  { name: 'write', description: 'write a note to the shared notebook', latencyMs: 20 },
  { name: 'calculate', description: 'evaluate an arithmetic expression', latencyMs: 5 },
];
