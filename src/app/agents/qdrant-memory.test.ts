import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { HASH_EMBEDDING_NAME, hashEmbedding } from '../../agents/hash-embedding.js';
import { KittError } from '../../core/errors.js';
import { openQdrantMemory } from './qdrant-memory.js';

/**
 * Qdrant cannot run here (no registry), so a local HTTP server answers with Qdrant's documented
 * responses (fixtures/qdrant/, each naming its source) and records what kitt's memory sends: the
 * exact method, path, query and body of every request, through the official REST client.
 */
interface Fixture {
  readonly source: string;
  readonly status: number;
  readonly response: unknown;
}
const fixture = (name: string): Fixture =>
  JSON.parse(readFileSync(new URL(`./fixtures/qdrant/${name}.json`, import.meta.url), 'utf8')) as Fixture;

interface Sent {
  readonly method: string;
  readonly url: string;
  readonly apiKey: string | undefined;
  readonly body: unknown;
}

describe('Qdrant memory through @qdrant/js-client-rest', () => {
  let server: Server;
  let url: string;
  const sent: Sent[] = [];
  let answers: Record<string, Fixture> = {};
  before(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        sent.push({
          method: req.method ?? '',
          url: req.url ?? '',
          apiKey: req.headers['api-key'] as string | undefined,
          body: text === '' ? undefined : JSON.parse(text),
        });
        const path = (req.url ?? '').split('?')[0]!.replace('/collections/kitt_test', '/collections/{c}');
        const answer = answers[`${req.method} ${path}`];
        res.writeHead(answer?.status ?? 404, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer?.response ?? { status: { error: 'not found' }, result: null }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    sent.length = 0;
    answers = {
      'GET /collections/{c}/exists': fixture('collection-exists-false'),
      'PUT /collections/{c}': fixture('create-collection'),
      'PUT /collections/{c}/index': fixture('create-field-index'),
      'PUT /collections/{c}/points': fixture('upsert-points'),
      'POST /collections/{c}/points/query': fixture('query-points'),
      'POST /collections/{c}/points/count': fixture('count-points'),
      'POST /collections/{c}/points/delete': fixture('delete-points'),
    };
  });

  const scope = { scenario: 'desk', agent: 1 };
  const scenarioFilter = { must: [{ key: 'scenario', match: { value: 'desk' } }] };
  const agentFilter = {
    must: [
      { key: 'scenario', match: { value: 'desk' } },
      { key: 'agent', match: { value: 1 } },
      { key: 'embedder', match: { value: HASH_EMBEDDING_NAME } },
    ],
  };

  test('the first memory creates the collection with its payload indexes, then upserts and waits', async () => {
    const memory = openQdrantMemory({ url, location: url, collection: 'kitt_test', apiKey: 'k-123' });
    const vector = hashEmbedding('step 1: search(oslo) returned result 1');
    await memory.remember(scope, {
      runId: 'r1',
      step: 0,
      text: 'step 1: search(oslo)',
      vector,
      embedder: HASH_EMBEDDING_NAME,
    });
    assert.deepEqual(
      sent.map((s) => `${s.method} ${s.url}`),
      [
        'GET /collections/kitt_test/exists',
        'PUT /collections/kitt_test',
        'PUT /collections/kitt_test/index?wait=true',
        'PUT /collections/kitt_test/index?wait=true',
        'PUT /collections/kitt_test/index?wait=true',
        'PUT /collections/kitt_test/points?wait=true',
      ],
    );
    assert.ok(
      sent.every((s) => s.apiKey === 'k-123'),
      'the key goes in the api-key header',
    );
    assert.deepEqual(sent[1]!.body, { vectors: { size: 256, distance: 'Cosine' } });
    assert.deepEqual(
      sent.slice(2, 5).map((s) => s.body),
      [
        { field_name: 'scenario', field_schema: 'keyword' },
        { field_name: 'agent', field_schema: 'integer' },
        { field_name: 'embedder', field_schema: 'keyword' },
      ],
    );
    const upsert = sent[5]!.body as {
      points: Array<{ id: string; vector: number[]; payload: Record<string, unknown> }>;
    };
    assert.equal(upsert.points.length, 1);
    assert.match(upsert.points[0]!.id, /^[0-9a-f-]{36}$/);
    assert.equal(upsert.points[0]!.vector.length, 256);
    assert.ok(
      Math.abs(upsert.points[0]!.vector[vector.findIndex((v) => v !== 0)]! - vector.find((v) => v !== 0)!) < 1e-6,
    );
    assert.deepEqual(
      { ...upsert.points[0]!.payload, createdAt: undefined },
      {
        scenario: 'desk',
        agent: 1,
        runId: 'r1',
        step: 0,
        text: 'step 1: search(oslo)',
        embedder: HASH_EMBEDDING_NAME,
        createdAt: undefined,
      },
    );
  });

  test('recall queries the agent’s own memories by its embedder and reads the scored points', async () => {
    answers['GET /collections/{c}/exists'] = fixture('collection-exists-true');
    const memory = openQdrantMemory({ url, location: url, collection: 'kitt_test' });
    const vector = hashEmbedding('cheapest flight');
    const recalled = await memory.recall(scope, vector, HASH_EMBEDDING_NAME, 3);
    assert.deepEqual(
      sent.map((s) => `${s.method} ${s.url}`),
      ['GET /collections/kitt_test/exists', 'POST /collections/kitt_test/points/query'],
    );
    const body = sent[1]!.body as { query: number[]; filter: unknown; limit: number; with_payload: boolean };
    assert.equal(body.query.length, 256);
    assert.deepEqual(
      { ...body, query: undefined },
      { query: undefined, filter: agentFilter, limit: 3, with_payload: true },
    );
    assert.equal(sent[1]!.apiKey, undefined);
    assert.deepEqual(recalled, [
      { text: 'step 3: search(cheapest flight) returned result 3: flight cheapest', score: 0.8734 },
      { text: 'step 1: read(flight from Lisbon) returned result 1: Lisbon from flight', score: 0.4121 },
    ]);
  });

  test('count and reset filter by scenario, and reset waits for the delete', async () => {
    answers['GET /collections/{c}/exists'] = fixture('collection-exists-true');
    const memory = openQdrantMemory({ url, location: url, collection: 'kitt_test' });
    assert.equal(await memory.count('desk'), 3);
    assert.equal(await memory.reset('desk'), 3);
    assert.deepEqual(
      sent.map((s) => `${s.method} ${s.url}`),
      [
        'GET /collections/kitt_test/exists',
        'POST /collections/kitt_test/points/count',
        'POST /collections/kitt_test/points/count',
        'POST /collections/kitt_test/points/delete?wait=true',
      ],
    );
    assert.deepEqual(sent[1]!.body, { filter: scenarioFilter, exact: true });
    assert.deepEqual(sent[3]!.body, { filter: scenarioFilter });
  });

  test('a collection that does not exist yet recalls nothing and counts 0, without creating it', async () => {
    const memory = openQdrantMemory({ url, location: url, collection: 'kitt_test' });
    assert.deepEqual(await memory.recall(scope, hashEmbedding('x'), HASH_EMBEDDING_NAME, 3), []);
    assert.equal(await memory.count('desk'), 0);
    assert.deepEqual(
      sent.map((s) => `${s.method} ${s.url}`),
      ['GET /collections/kitt_test/exists'],
    );
  });

  test("Qdrant's error answer becomes one STORE_FAILED line with its reason and the fix", async () => {
    answers['GET /collections/{c}/exists'] = fixture('collection-exists-true');
    answers['PUT /collections/{c}/points'] = fixture('wrong-vector-size');
    const memory = openQdrantMemory({ url, location: url, collection: 'kitt_test' });
    await assert.rejects(
      memory.remember(scope, {
        runId: 'r',
        step: 0,
        text: 't',
        vector: hashEmbedding('t'),
        embedder: HASH_EMBEDDING_NAME,
      }),
      (error: unknown) =>
        error instanceof KittError &&
        error.code === 'STORE_FAILED' &&
        /Vector dimension error: expected dim: 768, got 256/.test(error.message) &&
        /memory.collection/.test(error.hint ?? ''),
    );
  });
});

test('memory.url picks Qdrant, shown without its credentials; without it the SQLite file under KITT_HOME', async () => {
  const { loadConfig } = await import('../../config/load-config.js');
  const { openMemory } = await import('./agents-ports.js');
  const home = mkdtempSync(join(tmpdir(), 'kitt-memory-config-'));
  try {
    const configured = loadConfig({
      env: { KITT_HOME: home, KITT_MEMORY_URL: 'http://kitt:s3cret@qdrant:6333' },
    }).config;
    const remote = openMemory(configured, home, {});
    assert.equal(remote.kind, 'qdrant');
    assert.doesNotMatch(remote.location, /s3cret/);
    assert.match(remote.location, /qdrant:6333.*collection kitt_agent_memories/);
    const local = openMemory(loadConfig({ env: { KITT_HOME: home } }).config, home, {});
    assert.equal(local.kind, 'sqlite');
    assert.equal(local.location, join(home, 'agents', 'memory.db'));
    await local.close();
    const keyed = { ...configured, memory: { ...configured.memory, apiKeyEnv: 'QDRANT_KEY' } };
    assert.throws(() => openMemory(keyed, home, {}), /memory.apiKeyEnv names QDRANT_KEY, which is not set/);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
