import { ENGINE_CATALOG } from './catalog.js';
import type { EngineName } from './engine.js';
import type { EngineDefinition } from './engine-definition.js';

/** What kitt read from a server it did not start, to tell which engine answers there. */
export interface ServerEvidence {
  /** Sample names of its /metrics text (empty when it has none). */
  readonly metricNames: ReadonlySet<string>;
  /** GET /api/version answered `{"version": ...}`: Ollama's own API. */
  readonly ollamaVersion?: boolean;
}

/** An engine recognised from what its server shows, and by what. */
export interface Recognition {
  readonly engine: EngineName | 'unknown';
  readonly by: 'metrics' | 'api-version' | 'none';
}

/**
 * Definitions a separately started server can be: kitt's embedded engine serves llama.cpp's
 * Prometheus names, so a llama.cpp-style /metrics is recognised as llama.cpp (the same counters,
 * the same cross-check) rather than as kitt's own child.
 */
function candidates(): EngineDefinition[] {
  return Object.values(ENGINE_CATALOG).filter((definition) => definition.modes.some((mode) => mode !== 'embedded'));
}

/**
 * The engine whose token counters (its definition's `metrics`) appear in the server's /metrics,
 * else Ollama when /api/version answered, else "unknown". The counters, not gauges, decide: they
 * are what the cross-check reads, so a recognised engine is one whose counters can be checked.
 */
export function recognizeEngine(evidence: ServerEvidence): Recognition {
  for (const definition of candidates()) {
    const counters = [...definition.metrics.promptTokens, ...definition.metrics.generatedTokens];
    if (counters.length > 0 && counters.some((name) => evidence.metricNames.has(name))) {
      return { engine: definition.name, by: 'metrics' };
    }
  }
  if (evidence.ollamaVersion) return { engine: 'ollama', by: 'api-version' };
  return { engine: 'unknown', by: 'none' };
}
