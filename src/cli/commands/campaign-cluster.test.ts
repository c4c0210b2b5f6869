import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Pod } from 'kubernetes-models/v1/Pod';
import { Service } from 'kubernetes-models/v1/Service';
import { parseAllDocuments } from 'yaml';
import { EXIT_CODES } from '../../core/errors.js';
import { kittSync, tempHome } from '../../testing/kitt-cli.js';

/** vLLM on one GPU and llama.cpp on CPUs, two loads: a GPU cluster's campaign. The models live in a claim. */
const GPU_CAMPAIGN = `name: gpu-grid
matrix:
  models: [qwen2.5-7b, qwen2.5-0.5b-q4_k_m.gguf]
  engines:
    - { name: vllm }
    - { name: llamacpp, parallel: 4 }
  limits: [{ cpus: 8, memory: 32GiB, gpus: "0" }, { cpus: 4, memory: 16GiB }]
  loads:
    - { load: fixed-concurrency, concurrency: 8, requests: 200, workers: 2 }
    - { load: poisson, rate: 4, duration: 60s }
`;

const KINDS: Record<string, (object: never) => { validate(): void }> = {
  ConfigMap: (o) => new ConfigMap(o),
  Pod: (o) => new Pod(o),
  Service: (o) => new Service(o),
  Job: (o) => new Job(o),
};

test('kitt campaign plan --runtime kubernetes renders every cell of a GPU campaign as schema-valid manifests', (t) => {
  const home = tempHome(t);
  const file = join(home, 'gpu.yaml');
  writeFileSync(file, GPU_CAMPAIGN);
  const planned = kittSync(
    ['campaign', 'plan', file, '--runtime', 'kubernetes', '--namespace', 'bench', '--model-pvc', 'models'],
    {
      KITT_HOME: home,
    },
  );
  assert.equal(planned.code, 0, planned.stderr);
  // biome-ignore lint/suspicious/noExplicitAny: manifests read back from YAML, checked by their schemas below
  const docs = parseAllDocuments(planned.stdout).map((doc) => doc.toJS() as Record<string, any>);
  const cells = 2 * 2 * 2 * 2;
  assert.equal(docs.length, cells * 4, 'a root, a Pod, a Service and a Job per cell');
  for (const doc of docs) {
    const make = KINDS[doc.kind];
    assert.ok(make, `kind ${doc.kind}`);
    make(doc as never).validate();
    assert.equal(doc.metadata.namespace, 'bench');
  }
  assert.equal((planned.stdout.match(/^# cell [0-9a-f]+: /gm) ?? []).length, cells, 'each cell named once');
  const pods = docs.filter((doc) => doc.kind === 'Pod');
  const gpus = (engine: string, cpus: string) =>
    pods
      .filter((pod) => pod.metadata.labels['kitt.engine'] === engine)
      .filter((pod) => pod.spec.containers[0].resources.limits.cpu === cpus)
      .map((pod) => pod.spec.containers[0].resources.limits['nvidia.com/gpu']);
  assert.deepEqual(gpus('llamacpp', '8'), ['1', '1', '1', '1'], 'the GPU profile asks the scheduler for one GPU');
  assert.deepEqual(gpus('llamacpp', '4'), [undefined, undefined, undefined, undefined], 'the CPU profile for none');
  assert.ok(
    [...gpus('vllm', '8'), ...gpus('vllm', '4')].every((n) => n === '1'),
    "vLLM's image needs a GPU in either profile",
  );
  for (const pod of pods) {
    const volume = pod.spec.volumes.find((v: { persistentVolumeClaim?: unknown }) => v.persistentVolumeClaim);
    assert.equal(volume?.persistentVolumeClaim.claimName, 'models', 'the model comes from the claim');
  }
  const jobs = docs.filter((doc) => doc.kind === 'Job');
  assert.ok(
    jobs.some((job) => job.spec.completions === 2),
    'a load of two workers is an Indexed Job of two',
  );
});

test('a campaign cell the cluster cannot run is refused with its id, before anything starts', (t) => {
  const home = tempHome(t);
  const file = join(home, 'embedded.yaml');
  writeFileSync(
    file,
    `name: local-only
matrix:
  engines: [{ name: embedded }, { name: llamacpp }]
  limits: [{ cpus: 1, memory: 2GiB }]
  loads: [{ load: fixed-concurrency, concurrency: 2, requests: 4 }]
`,
  );
  for (const command of ['plan', 'run']) {
    const refused = kittSync(['campaign', command, file, '--runtime', 'kubernetes'], { KITT_HOME: home });
    assert.equal(refused.code, EXIT_CODES.USAGE, refused.stderr);
    assert.match(refused.stderr, /2 cell\(s\) cannot run on Kubernetes/);
    assert.match(refused.stderr, /cell [0-9a-f]+: .*runs no container, so it cannot run on Kubernetes/);
    assert.match(refused.stderr, /cell [0-9a-f]+: --runtime kubernetes needs -m PATH/);
  }
  const stray = kittSync(['campaign', 'plan', file, '--namespace', 'bench'], { KITT_HOME: home });
  assert.equal(stray.code, EXIT_CODES.USAGE);
  assert.match(stray.stderr, /add --runtime kubernetes/);
});
