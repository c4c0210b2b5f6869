import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import type { QdrantClient as QdrantClientType } from '@qdrant/js-client-rest';
import type { RecalledMemory } from '../../agents/agent-loop.js';
import type { MemoryEntry, MemoryScope, MemoryStore } from '../../agents/memory-store.js';
import { KittError } from '../../core/errors.js';

export interface QdrantMemoryOptions {
  /** The server's URL as configured (revealed: it may carry credentials). */
  readonly url: string;
  /** The URL as results may show it (credentials masked). */
  readonly location: string;
  readonly collection: string;
  /** Sent as Qdrant's `api-key` header. */
  readonly apiKey?: string;
}

/** A filter on the payload fields every memory carries. */
function scopeFilter(scenario: string, agent?: number, embedder?: string) {
  return {
    must: [
      { key: 'scenario', match: { value: scenario } },
      ...(agent === undefined ? [] : [{ key: 'agent', match: { value: agent } }]),
      ...(embedder === undefined ? [] : [{ key: 'embedder', match: { value: embedder } }]),
    ],
  };
}

/**
 * Memories in Qdrant through its official REST client: one collection (memory.collection) for
 * every scenario and agent, told apart by payload fields (`scenario`, `agent`, `embedder`) with a
 * payload index each, as Mem0 kept one collection filtered by user. The collection is created on
 * the first write, sized to the embedder's vectors, with cosine distance. Writes wait for Qdrant
 * to apply them (`wait=true`), so a recall right after sees the memory.
 */
export function openQdrantMemory(options: QdrantMemoryOptions): MemoryStore {
  const url = new URL(options.url);
  const prefix = url.pathname.replace(/\/+$/, '');
  // required here, not imported at the top: only agents with Qdrant memory pay for the client
  const { QdrantClient } = createRequire(import.meta.url)('@qdrant/js-client-rest') as {
    QdrantClient: typeof QdrantClientType;
  };
  const client = new QdrantClient({
    url: url.origin,
    ...(prefix ? { prefix } : {}),
    // the version check logs with console.warn; a server that differs shows in its answers instead
    checkCompatibility: false,
    ...(options.apiKey ? { headers: { 'api-key': options.apiKey } } : {}),
  });
  const { collection } = options;
  let exists: boolean | undefined;
  const collectionExists = async () => {
    exists ??= (await client.collectionExists(collection)).exists;
    return exists;
  };
  const ensureCollection = async (dims: number) => {
    if (await collectionExists()) return;
    await client.createCollection(collection, { vectors: { size: dims, distance: 'Cosine' } });
    for (const [field, schema] of [
      ['scenario', 'keyword'],
      ['agent', 'integer'],
      ['embedder', 'keyword'],
    ] as const) {
      await client.createPayloadIndex(collection, { field_name: field, field_schema: schema, wait: true });
    }
    exists = true;
  };
  const failed = (what: string) => (error: unknown) => {
    throw memoryError(options.location, collection, what, error);
  };
  return {
    kind: 'qdrant',
    location: `${options.location} (collection ${collection})`,
    recall: async (
      scope: MemoryScope,
      vector: Float32Array,
      embedder: string,
      k: number,
    ): Promise<RecalledMemory[]> => {
      if (k === 0 || !(await collectionExists().catch(failed('read')))) return [];
      const answer = await client
        .query(collection, {
          query: Array.from(vector),
          filter: scopeFilter(scope.scenario, scope.agent, embedder),
          limit: k,
          with_payload: true,
        })
        .catch(failed('query'));
      return answer.points.map((point) => ({ text: String(point.payload?.text ?? ''), score: point.score }));
    },
    remember: async (scope: MemoryScope, entry: MemoryEntry) => {
      await ensureCollection(entry.vector.length).catch(failed('create'));
      await client
        .upsert(collection, {
          wait: true,
          points: [
            {
              id: randomUUID(),
              vector: Array.from(entry.vector),
              payload: {
                scenario: scope.scenario,
                agent: scope.agent,
                runId: entry.runId,
                step: entry.step,
                text: entry.text,
                embedder: entry.embedder,
                createdAt: new Date().toISOString(),
              },
            },
          ],
        })
        .catch(failed('write to'));
    },
    count: async (scenario: string) => {
      if (!(await collectionExists().catch(failed('read')))) return 0;
      return (await client.count(collection, { filter: scopeFilter(scenario), exact: true }).catch(failed('count')))
        .count;
    },
    reset: async (scenario: string) => {
      if (!(await collectionExists().catch(failed('read')))) return 0;
      const { count } = await client
        .count(collection, { filter: scopeFilter(scenario), exact: true })
        .catch(failed('count'));
      await client.delete(collection, { wait: true, filter: scopeFilter(scenario) }).catch(failed('delete from'));
      return count;
    },
    close: async () => {},
  };
}

function memoryError(location: string, collection: string, what: string, error: unknown): KittError {
  const detail = (error as { data?: { status?: { error?: string } } }).data?.status?.error ?? (error as Error).message;
  return new KittError(
    'STORE_FAILED',
    `could not ${what} the Qdrant memory at ${location} (collection ${collection}): ${detail}`,
    {
      hint: 'check memory.url and that Qdrant runs there; a collection made for vectors of another size needs another memory.collection',
      cause: error,
    },
  );
}
