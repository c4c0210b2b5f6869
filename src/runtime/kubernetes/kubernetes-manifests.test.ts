import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { planKubernetesRun } from '../../app/run/kubernetes-run-plan.js';
import { DEFAULT_CONFIG } from '../../config/config-schema.js';
import { KittError } from '../../core/errors.js';
import { ENGINE_CATALOG } from '../../engines/catalog.js';
import type { EngineDefinition } from '../../engines/engine-definition.js';
import { buildManifests } from './build-manifests.js';
import { manifestsYaml, validateManifests } from './validate-manifests.js';

/** KITT_UPDATE_FIXTURES=1 rewrites the fixtures, so a change to the manifests shows as a diff in review. */
const UPDATE = process.env.KITT_UPDATE_FIXTURES === '1';
const FIXTURES = join(import.meta.dirname, 'fixtures');
const RUN_ID = '20261202T031045123Z-a1b2c3';
const OWNER = 'kitt@bench-host:4242:1764645045';

const containerEngines = Object.values<EngineDefinition>(ENGINE_CATALOG).filter((d) => d.containerPlan);

function modelFor(definition: EngineDefinition): string {
  return definition.modelKind === 'file' ? 'models/qwen2.5-0.5b-q4_k_m.gguf' : 'models/qwen2.5-0.5b';
}

function flagsOf(definition: EngineDefinition, gpus = false, pvc = true) {
  return {
    engine: definition.name,
    model: pvc ? modelFor(definition) : `/srv/${modelFor(definition)}`,
    cpus: '4',
    memory: '16g',
    ...(gpus ? { gpus: '0,1' } : {}),
    ...(pvc ? { modelPvc: 'models' } : {}),
    namespace: 'bench',
    workers: '3',
    load: 'fixed-concurrency',
    concurrency: '8',
    requests: '100',
    promptSalt: 'f1x7',
  };
}

async function planFor(definition: EngineDefinition, gpus: boolean, pvc: boolean) {
  return planKubernetesRun(flagsOf(definition, gpus, pvc), DEFAULT_CONFIG, { runId: RUN_ID, env: {}, owner: OWNER });
}

test('every engine that runs in a container has manifests that pass Kubernetes schema validation and match the fixtures', async () => {
  assert.ok(containerEngines.length >= 6, 'the catalog lists the container engines');
  for (const definition of containerEngines) {
    for (const gpus of [false, true]) {
      for (const pvc of [false, true]) {
        const { manifests } = await planFor(definition, gpus, pvc);
        await validateManifests(manifests);
        const name = `${definition.name}.${gpus ? 'gpus-0,1' : 'gpus-default'}.${pvc ? 'pvc' : 'host-path'}.yaml`;
        const yaml = manifestsYaml(manifests);
        if (UPDATE) writeFileSync(join(FIXTURES, name), yaml);
        assert.equal(
          yaml,
          readFileSync(join(FIXTURES, name), 'utf8'),
          `${name} differs: KITT_UPDATE_FIXTURES=1 rewrites it`,
        );
      }
    }
  }
});

test('the engine gets Guaranteed QoS: requests equal limits, GPUs as a count', async () => {
  const vllm = containerEngines.find((d) => d.requiresGpu)!;
  const { manifests } = await planFor(vllm, true, true);
  const resources = manifests.pod.spec!.containers[0]!.resources!;
  assert.deepEqual(resources.requests, { cpu: '4', memory: '16Gi', 'nvidia.com/gpu': '2' });
  assert.deepEqual(resources.limits, resources.requests);
  const env = manifests.pod.spec!.containers[0]!.env ?? [];
  assert.ok(!env.some((e) => e.name === 'CUDA_VISIBLE_DEVICES'), 'the device plugin picks the GPUs');
  assert.ok(!JSON.stringify(manifests.pod).includes('127.0.0.1'), 'the engine listens on the Pod address');
});

test('an engine that needs no GPU asks for none unless --gpus says', async () => {
  const cpuEngine = containerEngines.find((d) => !d.requiresGpu)!;
  const { manifests } = await planFor(cpuEngine, false, false);
  const requests = manifests.pod.spec!.containers[0]!.resources!.requests!;
  assert.equal(requests['nvidia.com/gpu'], undefined);
  assert.deepEqual(manifests.pod.spec!.volumes![0], {
    name: 'model',
    hostPath: { path: `/srv/${modelFor(cpuEngine)}`, type: 'File' },
  });
});

test('everything but the root is owned by the root ConfigMap, which blocks deletion until they are gone', async () => {
  const { spec } = await planFor(containerEngines[0]!, false, true);
  const manifests = buildManifests(spec, '5f3c8f8e-0d3a-4a7e-9a55-3c0f0f6f2b11');
  for (const owned of [manifests.pod, manifests.service, manifests.job]) {
    assert.deepEqual(owned.metadata!.ownerReferences, [
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        name: 'kitt-a1b2c3',
        uid: '5f3c8f8e-0d3a-4a7e-9a55-3c0f0f6f2b11',
        blockOwnerDeletion: true,
      },
    ]);
  }
  assert.equal(manifests.root.metadata!.ownerReferences, undefined);
  for (const object of [manifests.root, manifests.pod, manifests.service, manifests.job]) {
    assert.equal(object.metadata!.labels!['kitt.managed'], 'true');
    assert.equal(object.metadata!.labels!['app.kubernetes.io/managed-by'], 'kitt');
    assert.equal(object.metadata!.labels!['kitt.run-id'], RUN_ID);
    assert.equal(object.metadata!.annotations!['kitt.owner'], OWNER);
  }
});

test('the load Job is Indexed with one Pod per worker, and the workers share the load exactly', async () => {
  const { manifests } = await planFor(containerEngines[0]!, false, true);
  const job = manifests.job.spec!;
  assert.equal(job.completionMode, 'Indexed');
  assert.equal(job.completions, 3);
  assert.equal(job.parallelism, 3);
  const loads = [0, 1, 2].map((i) => JSON.parse(manifests.root.data![`load-${i}.json`]!));
  assert.deepEqual(
    loads.map((l) => [l.concurrency, l.requests]),
    [
      [3, 34],
      [3, 33],
      [2, 33],
    ],
  );
  assert.deepEqual(
    loads.map((l) => l.prompts.salt),
    ['f1x7w0', 'f1x7w1', 'f1x7w2'],
    'no worker hits another prompt cache',
  );
});

test('a dry run prints documents kubectl reads back as the same objects', async () => {
  const { manifests } = await planFor(containerEngines[0]!, false, true);
  const documents = parseAllDocuments(manifestsYaml(manifests)).map((d) => d.toJSON());
  assert.deepEqual(documents, [manifests.root, manifests.pod, manifests.service, manifests.job]);
});

test('a schema violation is caught before anything reaches a cluster', async () => {
  const { manifests } = await planFor(containerEngines[0]!, false, true);
  const broken = { ...manifests, job: { ...manifests.job, spec: { ...manifests.job.spec!, completions: 'three' } } };
  await assert.rejects(() => validateManifests(broken as never));
});

test('every problem with a Kubernetes run comes at once, each naming its fix', async () => {
  const error = await planKubernetesRun({ engine: containerEngines[0]!.name, workers: '0' }, DEFAULT_CONFIG, {
    runId: RUN_ID,
    env: {},
    owner: OWNER,
  }).catch((e: unknown) => e);
  assert.ok(error instanceof KittError);
  assert.equal(error.code, 'USAGE');
  assert.match(error.message, /--workers/);
  assert.match(error.message, /needs -m PATH/);
  assert.match(error.message, /needs --cpus and --memory/);
});

test('an engine that runs no container is refused with the engines that do', async () => {
  const hosted = Object.values<EngineDefinition>(ENGINE_CATALOG).find((d) => !d.containerPlan)!;
  const error = await planKubernetesRun(
    { engine: hosted.name, model: '/m.gguf', cpus: '1', memory: '1g' },
    DEFAULT_CONFIG,
    { runId: RUN_ID, env: {}, owner: OWNER },
  ).catch((e: unknown) => e);
  assert.ok(error instanceof KittError);
  assert.match(error.message, /runs no container/);
});

test('what a cluster run cannot honour yet is refused by name rather than dropped', async () => {
  const error = await planKubernetesRun(
    { ...flagsOf(containerEngines[0]!), slo: 'ttft=1s', repeat: '3' },
    DEFAULT_CONFIG,
    { runId: RUN_ID, env: {}, owner: OWNER },
  ).catch((e: unknown) => e);
  assert.ok(error instanceof KittError);
  assert.match(error.message, /--slo is not available with --runtime kubernetes yet/);
  assert.match(error.message, /--repeat is not available with --runtime kubernetes yet/);
});
