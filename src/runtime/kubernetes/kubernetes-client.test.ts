import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Pod } from 'kubernetes-models/v1/Pod';
import { Service } from 'kubernetes-models/v1/Service';
import { parseAllDocuments } from 'yaml';
import { KittError } from '../../core/errors.js';
import type { RunManifests } from './build-manifests.js';
import { KubernetesClient } from './kubernetes-client.js';

/**
 * The client against a local HTTP server that answers with recorded API-server responses
 * (fixtures/api/, README.md there says where each shape comes from). Every request the client
 * sends is kept, so the tests assert method, path, query and body exactly.
 */
const API = join(import.meta.dirname, 'fixtures', 'api');
const fixture = (name: string) => readFileSync(join(API, name), 'utf8');

interface Sent {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string>;
  readonly body: unknown;
}
type Answer = { status: number; body: string; stream?: boolean };

async function apiServer(t: TestContext, answer: (request: Sent) => Answer) {
  const sent: Sent[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let text = '';
    req.on('data', (chunk) => {
      text += chunk;
    });
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const request = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        body: text === '' ? undefined : JSON.parse(text),
      };
      sent.push(request);
      const { status, body, stream } = answer(request);
      res.writeHead(status, { 'content-type': stream ? 'application/json;stream=watch' : 'application/json' });
      if (!stream) return res.end(body);
      // a watch: one event per line, as the API server flushes them, then the server closes it
      const lines = body.trimEnd().split('\n');
      const next = () => {
        const line = lines.shift();
        if (line === undefined) return res.end();
        res.write(`${line}\n`);
        setTimeout(next, 5);
      };
      next();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [{ name: 'recorded', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'bench' }],
    contexts: [{ name: 'recorded', cluster: 'recorded', user: 'bench', namespace: 'bench' }],
    currentContext: 'recorded',
  });
  return { client: new KubernetesClient(config), sent };
}

function manifestsWithRoot(uid: string): RunManifests {
  const [root, pod, service, job] = parseAllDocuments(
    readFileSync(join(import.meta.dirname, 'fixtures', 'llamacpp.gpus-default.pvc.yaml'), 'utf8'),
  ).map((d) => d.toJSON());
  const owned = (object: { metadata: { ownerReferences: Array<{ uid: string }> } }) => {
    object.metadata.ownerReferences[0]!.uid = uid;
    return object;
  };
  return { root, pod: owned(pod), service: owned(service), job: owned(job) } as RunManifests;
}

const ROOT_UID = '6b0f5c47-2f4e-4d8e-9c3b-8f1d2a7e4c10';

test('creates root, Pod and Service in order, then watches the Pod from its resourceVersion until Ready', async (t) => {
  const { client, sent } = await apiServer(t, (r) => {
    if (r.method === 'POST' && r.path === '/api/v1/namespaces/bench/configmaps')
      return { status: 201, body: fixture('configmap-create.json') };
    if (r.method === 'POST' && r.path === '/api/v1/namespaces/bench/pods')
      return { status: 201, body: fixture('pod-create.json') };
    if (r.method === 'POST' && r.path === '/api/v1/namespaces/bench/services')
      return { status: 201, body: fixture('service-create.json') };
    if (r.method === 'GET' && r.path === '/api/v1/namespaces/bench/pods')
      return { status: 200, body: fixture('pod-watch-ready.jsonl'), stream: true };
    return { status: 404, body: fixture('status-404-not-found.json') };
  });
  const unassigned = manifestsWithRoot('unassigned');
  const root = await client.createRoot(unassigned);
  assert.deepEqual(root, { namespace: 'bench', name: 'kitt-a1b2c3', uid: ROOT_UID });
  const manifests = manifestsWithRoot(root.uid);
  const resourceVersion = await client.createEngine(manifests);
  assert.equal(resourceVersion, '48215');
  await client.waitForReady('bench', 'kitt-a1b2c3-engine', resourceVersion, { timeoutMs: 10_000 });
  assert.deepEqual(
    sent.map((r) => [r.method, r.path]),
    [
      ['POST', '/api/v1/namespaces/bench/configmaps'],
      ['POST', '/api/v1/namespaces/bench/pods'],
      ['POST', '/api/v1/namespaces/bench/services'],
      ['GET', '/api/v1/namespaces/bench/pods'],
    ],
  );
  assert.deepEqual(sent[0]!.body, unassigned.root);
  assert.deepEqual(sent[1]!.body, manifests.pod);
  assert.deepEqual(sent[2]!.body, manifests.service);
  assert.deepEqual(sent[3]!.query, {
    watch: 'true',
    fieldSelector: 'metadata.name=kitt-a1b2c3-engine',
    resourceVersion: '48215',
    allowWatchBookmarks: 'true',
  });
});

const failures: Array<[string, string, RegExp]> = [
  [
    'pod-watch-image-pull.jsonl',
    'IMAGE_MISSING',
    /^image kitt\/llama-server:cpu of kitt-a1b2c3-engine cannot be pulled \(ErrImagePull\)/,
  ],
  ['pod-watch-oom-killed.jsonl', 'OOM_KILLED', /^kitt-a1b2c3-engine was OOM-killed at its memory limit$/],
  [
    'pod-watch-unschedulable.jsonl',
    'ENGINE_NOT_READY',
    /^no node can run kitt-a1b2c3-engine: 0\/3 nodes are available: 3 Insufficient memory\./,
  ],
];
for (const [stream, code, message] of failures) {
  test(`a Pod that cannot become Ready ends the wait with one line naming the cause (${stream})`, async (t) => {
    const { client } = await apiServer(t, () => ({ status: 200, body: fixture(stream), stream: true }));
    const error = await client
      .waitForReady('bench', 'kitt-a1b2c3-engine', '48215', { timeoutMs: 10_000 })
      .catch((e: unknown) => e);
    assert.ok(error instanceof KittError, String(error));
    assert.equal(error.code, code);
    assert.match(error.message, message);
    assert.ok(!error.message.includes('\n'), 'one line');
    assert.ok(error.hint, 'names the fix');
  });
}

test('a watch the server closes before Ready is resumed from the last resourceVersion it delivered', async (t) => {
  const events = fixture('pod-watch-ready.jsonl').trimEnd().split('\n');
  let watches = 0;
  const { client, sent } = await apiServer(t, () => {
    watches += 1;
    const part = watches === 1 ? events.slice(0, 3) : events.slice(3);
    return { status: 200, body: `${part.join('\n')}\n`, stream: true };
  });
  await client.waitForReady('bench', 'kitt-a1b2c3-engine', '48215', { timeoutMs: 10_000 });
  assert.deepEqual(
    sent.map((r) => r.query.resourceVersion),
    ['48215', '48219'],
  );
});

test('a root that exists already is refused as a 409 AlreadyExists, in one line with the fix', async (t) => {
  const { client } = await apiServer(t, () => ({ status: 409, body: fixture('status-409-already-exists.json') }));
  const error = await client.createRoot(manifestsWithRoot('x')).catch((e: unknown) => e);
  assert.ok(error instanceof KittError);
  assert.equal(error.message, 'could not create the run ConfigMap: configmaps "kitt-a1b2c3" already exists');
  assert.match(error.hint ?? '', /--cascade=foreground/);
});

test('stop deletes the root with foreground propagation, and deleting it twice is not an error', async (t) => {
  let deleted = false;
  const { client, sent } = await apiServer(t, (r) => {
    if (r.method !== 'DELETE') return { status: 400, body: '{}' };
    if (deleted) return { status: 404, body: fixture('status-404-not-found.json') };
    deleted = true;
    return { status: 200, body: fixture('configmap-delete-foreground.json') };
  });
  await client.deleteRun('bench', 'kitt-a1b2c3');
  await client.deleteRun('bench', 'kitt-a1b2c3');
  assert.deepEqual(
    sent.map((r) => [r.method, r.path, r.query]),
    [
      ['DELETE', '/api/v1/namespaces/bench/configmaps/kitt-a1b2c3', { propagationPolicy: 'Foreground' }],
      ['DELETE', '/api/v1/namespaces/bench/configmaps/kitt-a1b2c3', { propagationPolicy: 'Foreground' }],
    ],
  );
});

test('leftovers are listed by label and only those of a kitt that is gone are reaped', async (t) => {
  const { client, sent } = await apiServer(t, (r) => {
    if (r.method === 'GET') return { status: 200, body: fixture('configmap-list.json') };
    return { status: 200, body: fixture('configmap-delete-foreground.json') };
  });
  const reaped = await client.reapLeftovers('bench', (owner) => owner.pid !== 999999);
  assert.deepEqual(
    reaped.map((r) => [r.root, r.runId]),
    [['kitt-d4e5f6', '20261201T220000000Z-d4e5f6']],
  );
  assert.deepEqual(
    sent.map((r) => [r.method, r.path, r.query]),
    [
      ['GET', '/api/v1/namespaces/bench/configmaps', { labelSelector: 'kitt.managed=true' }],
      ['DELETE', '/api/v1/namespaces/bench/configmaps/kitt-d4e5f6', { propagationPolicy: 'Foreground' }],
    ],
  );
});

test('the recorded responses themselves follow the published schemas of their kinds', () => {
  new ConfigMap(JSON.parse(fixture('configmap-create.json'))).validate();
  new ConfigMap(JSON.parse(fixture('configmap-delete-foreground.json'))).validate();
  new Service(JSON.parse(fixture('service-create.json'))).validate();
  new Pod(JSON.parse(fixture('pod-create.json'))).validate();
  for (const stream of [
    'pod-watch-ready.jsonl',
    'pod-watch-image-pull.jsonl',
    'pod-watch-oom-killed.jsonl',
    'pod-watch-unschedulable.jsonl',
  ]) {
    for (const line of fixture(stream).trimEnd().split('\n')) {
      const event = JSON.parse(line) as { type: string; object: unknown };
      assert.ok(['ADDED', 'MODIFIED'].includes(event.type));
      new Pod(event.object as never).validate();
    }
  }
  for (const item of JSON.parse(fixture('configmap-list.json')).items)
    new ConfigMap({ apiVersion: 'v1', kind: 'ConfigMap', ...item }).validate();
});
