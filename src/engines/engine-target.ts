import { engineDefinition } from './catalog.js';
import type { RunningEngine } from './engine.js';
import type { EngineLoadApi, EngineMetricNames, EngineReportStyle } from './engine-definition.js';

/** Where load goes and what the engine there can do (the load domain's LoadTarget, by shape). */
export interface EngineLoadTarget {
  readonly baseUrl: string;
  readonly api: EngineLoadApi;
  readonly model: string;
  readonly supports: {
    readonly ignoreEos: boolean;
    readonly minTokens?: boolean;
    readonly tokenize: boolean;
    readonly usage: 'continuous' | 'final' | 'none';
    readonly report: EngineReportStyle;
  };
  readonly metricsPath: string | null;
}

/** The load target a running engine exposes, from its definition's capabilities. */
export function loadTargetOf(engine: Pick<RunningEngine, 'name' | 'baseUrl' | 'servedModel'>): EngineLoadTarget {
  const { loadApi, supports } = engineDefinition(engine.name);
  return {
    baseUrl: engine.baseUrl,
    api: loadApi,
    model: engine.servedModel,
    supports: {
      ignoreEos: supports.ignoreEos,
      ...(supports.minTokens ? { minTokens: true } : {}),
      tokenize: supports.tokenizePath !== undefined,
      usage: supports.usageInStream ? 'final' : 'none',
      report: supports.report,
    },
    metricsPath: supports.metricsPath ?? null,
  };
}

/** The Prometheus names kitt reads from a running engine, with where they are served (undefined: nowhere). */
export function engineMetricsOf(engine: Pick<RunningEngine, 'name'>): EngineMetricNames & { readonly path?: string } {
  const { metrics, supports } = engineDefinition(engine.name);
  return { ...metrics, ...(supports.metricsPath ? { path: supports.metricsPath } : {}) };
}
