import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Pod } from 'kubernetes-models/v1/Pod';
import { Service } from 'kubernetes-models/v1/Service';
import { parseAllDocuments } from 'yaml';
import { writeCampaignReport } from '../../app/campaign/campaign-report.js';
import { createClusterCellRunner } from '../../app/campaign/cluster-cell-runner.js';
import { readCampaignText } from '../../app/campaign/read-campaign.js';
import { runCampaign } from '../../app/campaign/run-campaign.js';
import { planKubernetesRun } from '../../app/run/kubernetes-run-plan.js';
import { runAndRecordOnCluster } from '../../app/run/record-cluster-run.js';
import { runOnCluster } from '../../app/run/run-on-cluster.js';
import { DEFAULT_CONFIG } from '../../config/config-schema.js';
import { KittError } from '../../core/errors.js';
import { silentProgress } from '../../core/progress.js';
import { emptyHistograms, encodeHistograms } from '../../metrics/metric-histograms.js';
import { openStore } from '../../store/open-store.js';
import type { RunManifests } from './build-manifests.js';
import { buildManifests } from './build-manifests.js';
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
type Answer = { status: number; body: string; stream?: boolean; text?: boolean };

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
      const { status, body, stream, text: plain } = answer(request);
      // the content types the API server sends: a watch stream, a log (plain text), or an object
      const type = stream ? 'application/json;stream=watch' : plain ? 'text/plain' : 'application/json';
      res.writeHead(status, { 'content-type': type });
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

async function clusterPlan() {
  return planKubernetesRun(
    {
      engine: 'llamacpp',
      model: 'models/qwen2.5-0.5b-q4_k_m.gguf',
      modelPvc: 'models',
      cpus: '4',
      memory: '16g',
      namespace: 'bench',
      workers: '3',
      load: 'fixed-concurrency',
      concurrency: '8',
      requests: '100',
      promptSalt: 'f1x7',
    },
    DEFAULT_CONFIG,
    { runId: '20261202T031045123Z-a1b2c3', env: {}, owner: 'kitt@bench-host:4242:1764645045' },
  );
}

/** Worker i's log: its `kitt run --json` outcome with `counts[i]` requests of ttft = i + 1 … */
function workerLogs(counts: readonly number[]) {
  const single = emptyHistograms();
  const logs = counts.map((count, worker) => {
    const histograms = emptyHistograms();
    for (let k = 0; k < count; k++) {
      const ttft = 10 + worker * 100 + k * 3.7;
      histograms.ttftMs.record(ttft);
      single.ttftMs.record(ttft);
    }
    const requests = { total: count, succeeded: count, failed: 0, dropped: 0 };
    return `${JSON.stringify({ status: 'succeeded', metrics: { requests, histograms: encodeHistograms(histograms) } }, null, 2)}\n`;
  });
  return { logs, single };
}

/** The whole recorded cluster: every call a run makes, answered from fixtures/api. */
function recordedCluster(logs: readonly string[], overrides: { podWatch?: string; jobWatch?: string } = {}) {
  return (r: Sent): Answer => {
    const ns = '/api/v1/namespaces/bench';
    if (r.method === 'GET' && r.path === `${ns}/configmaps`)
      return { status: 200, body: fixture('configmap-list.json') };
    if (r.method === 'DELETE') return { status: 200, body: fixture('configmap-delete-foreground.json') };
    if (r.method === 'POST' && r.path === `${ns}/configmaps`)
      return { status: 201, body: fixture('configmap-create.json') };
    if (r.method === 'POST' && r.path === `${ns}/pods`) return { status: 201, body: fixture('pod-create.json') };
    if (r.method === 'POST' && r.path === `${ns}/services`)
      return { status: 201, body: fixture('service-create.json') };
    if (r.method === 'GET' && r.path === `${ns}/pods` && r.query.watch === 'true')
      return { status: 200, body: fixture(overrides.podWatch ?? 'pod-watch-ready.jsonl'), stream: true };
    if (r.method === 'POST' && r.path === '/apis/batch/v1/namespaces/bench/jobs')
      return { status: 201, body: fixture('job-create.json') };
    if (r.method === 'GET' && r.path === '/apis/batch/v1/namespaces/bench/jobs')
      return { status: 200, body: fixture(overrides.jobWatch ?? 'job-watch-complete.jsonl'), stream: true };
    if (r.method === 'GET' && r.path === `${ns}/pods`) return { status: 200, body: fixture('pod-list-workers.json') };
    const log = /^\/api\/v1\/namespaces\/bench\/pods\/kitt-a1b2c3-load-(\d)-\w+\/log$/.exec(r.path);
    if (r.method === 'GET' && log) return { status: 200, body: logs[Number(log[1])]!, text: true };
    return { status: 404, body: fixture('status-404-not-found.json') };
  };
}

test('a cluster run creates, waits, loads, merges every worker exactly and deletes its root, in that order', async (t) => {
  const plan = await clusterPlan();
  const { logs, single } = workerLogs([34, 33, 33]);
  const { client, sent } = await apiServer(t, recordedCluster(logs));
  const merged = await runOnCluster(plan, client, { progress: silentProgress });
  assert.deepEqual(merged.distributions.ttftMs, single.ttftMs.summarize());
  assert.equal(merged.requests.succeeded, 100);
  assert.deepEqual(
    sent.map((r) => `${r.method} ${r.path}${r.query.watch ? ' (watch)' : ''}`),
    [
      // the leftovers are another host's (bench-host): their kitt cannot be seen from here, so they stay
      'GET /api/v1/namespaces/bench/configmaps',
      'POST /api/v1/namespaces/bench/configmaps',
      'POST /api/v1/namespaces/bench/pods',
      'POST /api/v1/namespaces/bench/services',
      'GET /api/v1/namespaces/bench/pods (watch)',
      'POST /apis/batch/v1/namespaces/bench/jobs',
      'GET /apis/batch/v1/namespaces/bench/jobs (watch)',
      'GET /api/v1/namespaces/bench/pods',
      'GET /api/v1/namespaces/bench/pods/kitt-a1b2c3-load-0-q9m4d/log',
      'GET /api/v1/namespaces/bench/pods/kitt-a1b2c3-load-1-b3n8s/log',
      'GET /api/v1/namespaces/bench/pods/kitt-a1b2c3-load-2-x7k2p/log',
      'DELETE /api/v1/namespaces/bench/configmaps/kitt-a1b2c3',
    ],
  );
  const owned = buildManifests(plan.spec, ROOT_UID);
  assert.deepEqual(sent[1]!.body, plan.manifests.root);
  assert.deepEqual(sent[2]!.body, owned.pod, 'the Pod names the uid the API server gave the root');
  assert.deepEqual(sent[5]!.body, owned.job);
  assert.deepEqual(sent[6]!.query, {
    watch: 'true',
    fieldSelector: 'metadata.name=kitt-a1b2c3-load',
    resourceVersion: '48250',
    allowWatchBookmarks: 'true',
  });
  assert.deepEqual(sent[7]!.query, { labelSelector: 'batch.kubernetes.io/job-name=kitt-a1b2c3-load' });
  assert.deepEqual(sent[8]!.query, { container: 'load' });
});

test('an engine that is OOM-killed ends the run with its cause, and the root is deleted all the same', async (t) => {
  const plan = await clusterPlan();
  const { client, sent } = await apiServer(t, recordedCluster([], { podWatch: 'pod-watch-oom-killed.jsonl' }));
  const error = await runOnCluster(plan, client, { progress: silentProgress }).catch((e: unknown) => e);
  assert.ok(error instanceof KittError && error.code === 'OOM_KILLED', String(error));
  assert.equal(sent.at(-1)!.method, 'DELETE');
  assert.equal(sent.at(-1)!.path, '/api/v1/namespaces/bench/configmaps/kitt-a1b2c3');
  assert.ok(!sent.some((r) => r.path.includes('/jobs')), 'no load against an engine that never was ready');
});

test('a failed load Job fails the run in one line naming the Job, and the root is deleted', async (t) => {
  const plan = await clusterPlan();
  const { client, sent } = await apiServer(t, recordedCluster([], { jobWatch: 'job-watch-failed.jsonl' }));
  const error = await runOnCluster(plan, client, { progress: silentProgress }).catch((e: unknown) => e);
  assert.ok(error instanceof KittError && error.code === 'LOAD_FAILED', String(error));
  assert.equal(error.message, 'load Job kitt-a1b2c3-load failed: Job has reached the specified backoff limit');
  assert.equal(sent.at(-1)!.path, '/api/v1/namespaces/bench/configmaps/kitt-a1b2c3');
});

async function recordingHome(t: TestContext) {
  const home = mkdtempSync(join(tmpdir(), 'kitt-cluster-run-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const store = await openStore(join(home, 'kitt.db'));
  t.after(() => store.close());
  return { home, store };
}

test('a cluster run is recorded like a local one: a store row, its manifests and the merged outcome in its folder', async (t) => {
  const plan = await clusterPlan();
  const { logs } = workerLogs([34, 33, 33]);
  const { client } = await apiServer(t, recordedCluster(logs));
  const { home, store } = await recordingHome(t);
  const outcome = await runAndRecordOnCluster(
    plan,
    client,
    store,
    { home, config: { run: {} } },
    { progress: silentProgress },
  );
  assert.equal(outcome.resultDir, join(home, 'results', plan.spec.runId));
  const [run] = await store.listRuns();
  assert.equal(run?.id, plan.spec.runId);
  assert.equal(run?.status, 'succeeded');
  assert.equal(run?.mode, 'kubernetes');
  assert.equal(run?.engine, 'llamacpp');
  assert.equal(run?.resultPath, outcome.resultDir);
  const metrics = run?.metrics as { workers: number; requests: { succeeded: number }; distributions: unknown };
  assert.equal(metrics.workers, 3);
  assert.equal(metrics.requests.succeeded, 100);
  assert.deepEqual(metrics.distributions, JSON.parse(JSON.stringify(outcome.merged.distributions)));
  const saved = JSON.parse(readFileSync(join(outcome.resultDir, 'cluster-load.json'), 'utf8'));
  assert.equal(saved.runId, plan.spec.runId);
  assert.equal(saved.requests.succeeded, 100);
  assert.ok(saved.histograms.ttftMs, 'the merged histograms, to merge again or re-read exactly');
  assert.match(readFileSync(join(outcome.resultDir, 'manifests.yaml'), 'utf8'), /kind: Pod/);
});

test('a cluster run that fails is stored as failed with its one-line cause, and the error still reaches the caller', async (t) => {
  const plan = await clusterPlan();
  const { client } = await apiServer(t, recordedCluster([], { podWatch: 'pod-watch-oom-killed.jsonl' }));
  const { home, store } = await recordingHome(t);
  const error = await runAndRecordOnCluster(
    plan,
    client,
    store,
    { home, config: {} },
    { progress: silentProgress },
  ).catch((e: unknown) => e);
  assert.ok(error instanceof KittError && error.code === 'OOM_KILLED', String(error));
  const [run] = await store.listRuns();
  assert.equal(run?.status, 'failed');
  assert.equal(run?.error, error.message);
  assert.ok(existsSync(join(home, 'results', plan.spec.runId, 'manifests.yaml')), 'what was applied is kept');
  assert.ok(!existsSync(join(home, 'results', plan.spec.runId, 'cluster-load.json')));
});

/** A one-cell campaign of three load workers, planned for a cluster. */
function clusterCampaign(name: string) {
  return readCampaignText(
    `name: ${name}
matrix:
  models: [models/qwen2.5-0.5b-q4_k_m.gguf]
  engines: [{ name: llamacpp }]
  limits: [{ cpus: 4, memory: 16GiB }]
  loads: [{ load: fixed-concurrency, concurrency: 8, requests: 100, workers: 3 }]
`,
    `/campaigns/${name}.yaml`,
    DEFAULT_CONFIG,
    'cluster',
  );
}

test('a campaign cell on a cluster runs through the same calls as kitt run --runtime kubernetes and is recorded for its campaign', async (t) => {
  const { logs } = workerLogs([34, 33, 33]);
  const { client, sent } = await apiServer(t, recordedCluster(logs));
  const { home, store } = await recordingHome(t);
  const campaign = clusterCampaign('on-cluster');
  const [cell] = campaign.cells;
  const runner = createClusterCellRunner({
    config: DEFAULT_CONFIG,
    home,
    env: {},
    cluster: { runtime: 'kubernetes', namespace: 'bench', modelPvc: 'models' },
    clusterPort: () => client,
    store,
  });
  const started: string[] = [];
  const result = await runner.runCell(
    { campaignId: campaign.id, cell: cell! },
    { started: async (runId) => void started.push(runId) },
    { progress: silentProgress, signal: new AbortController().signal },
  );
  assert.equal(result.status, 'succeeded', result.error?.message);
  assert.deepEqual(started, [result.runId]);
  const pod = sent.find((r) => r.method === 'POST' && r.path.endsWith('/pods'))!.body as Pod;
  assert.equal(pod.spec?.volumes?.find((v) => v.persistentVolumeClaim)?.persistentVolumeClaim?.claimName, 'models');
  assert.equal(sent.at(-1)!.method, 'DELETE', 'the run’s root is deleted at the end');
  const [run] = await store.listRuns();
  assert.ok(run);
  assert.equal(run.id, result.runId);
  assert.equal(run.status, 'succeeded');
  assert.deepEqual((run.config as { campaign: unknown }).campaign, { id: campaign.id, cell: cell!.id });
  assert.equal((run.metrics as { requests: { succeeded: number } }).requests.succeeded, 100);
});

test('a campaign run on a cluster reports its cell with the workers’ merged latencies, not an empty row', async (t) => {
  const { logs, single } = workerLogs([34, 33, 33]);
  const { client } = await apiServer(t, recordedCluster(logs));
  const { home, store } = await recordingHome(t);
  const plan = clusterCampaign('on-cluster-report');
  const cellRunner = createClusterCellRunner({
    config: DEFAULT_CONFIG,
    home,
    env: {},
    cluster: { runtime: 'kubernetes', namespace: 'bench', modelPvc: 'models' },
    clusterPort: async () => client,
    store,
  });
  const outcome = await runCampaign(
    plan,
    { store, cellRunner, host: async () => ({ hostname: 'here', gpuNames: [] }) },
    { progress: silentProgress, signal: new AbortController().signal },
    { home },
  );
  assert.deepEqual(
    outcome.cells.map((cell) => cell.state),
    ['succeeded'],
  );
  const { model, path } = await writeCampaignReport(store, outcome.campaign, join(home, 'report'));
  const [cell] = model.cells;
  assert.match(
    cell!.labels.engine,
    /^llamacpp\/kubernetes/,
    'the row says where the cell ran, not the mode in its file',
  );
  const page = readFileSync(path, 'utf8');
  assert.match(page, /<p class="note">– run on a cluster: TTFT and TPOT are merged from its load workers/);
  const expected = single.ttftMs.summarize();
  assert.equal(cell?.figures.ttftP50, expected.p50, 'the merged TTFT p50, as one client would have measured it');
  assert.equal(cell?.figures.ttftP99, expected.p99);
  assert.equal(cell?.figures.throughput, null, 'no joined window, so no throughput is made up');
});
