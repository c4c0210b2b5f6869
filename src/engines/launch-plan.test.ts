import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ENGINE_CATALOG } from './catalog.js';
import type { EngineMode, EngineRequest } from './engine.js';
import type { DetectedModel, EngineDefinition } from './engine-definition.js';
import { type LaunchFacts, type LaunchPlan, planLaunch } from './launch-plan.js';

const DEFINITIONS = Object.values<EngineDefinition>(ENGINE_CATALOG);

function modelFor(definition: EngineDefinition): DetectedModel {
  return definition.modelKind === 'file'
    ? { format: definition.formats[0]!, servePath: '/srv/models/tiny.gguf', kind: 'file' }
    : { format: definition.formats[0]!, servePath: '/srv/models/Qwen3-0.6B', kind: 'directory' };
}

function requestFor(definition: EngineDefinition, mode: EngineMode, overrides: Partial<EngineRequest>): EngineRequest {
  return {
    engine: definition.name,
    mode,
    modelPath: modelFor(definition).servePath,
    limits: { memoryBytes: 2 * 1024 ** 3, cpus: 2 },
    engineArgs: [],
    runId: '20261201T120000000Z-abc123',
    parallel: 4,
    ...overrides,
  };
}

function factsFor(definition: EngineDefinition, overrides: Partial<LaunchFacts> = {}): LaunchFacts {
  return {
    definition,
    host: { arch: 'amd64', gpuComputeCapability: 9 },
    model: { ok: true, model: modelFor(definition) },
    hostModelPath: `/host${modelFor(definition).servePath}`,
    port: definition.defaultPort === 0 ? 0 : definition.defaultPort,
    gpuCount: 2,
    cpuCount: 8,
    owner: 'ada@lab:1:1',
    nameSuffix: 'a1b2c3',
    ...overrides,
  };
}

/** Everything the plan says, with functions and regexps turned to text, for deep comparison. */
function snapshot(plan: LaunchPlan): string {
  return JSON.stringify({ ...plan, definition: plan.definition.name }, (_key, value) =>
    value instanceof RegExp ? value.source : value,
  );
}

/** Every engine × every mode it lists × with and without GPUs × port given or chosen × image override. */
const CASES = DEFINITIONS.flatMap((definition) =>
  definition.modes.flatMap((mode) =>
    [undefined, [1] as const].flatMap((gpus) =>
      [undefined, 18_123].flatMap((port) =>
        (mode === 'docker' ? [undefined, 'registry.example/custom:1'] : [undefined]).map((image) => ({
          definition,
          mode,
          gpus,
          port,
          image,
        })),
      ),
    ),
  ),
);

test('planLaunch is pure: the same request and facts give the same plan, and the facts are not touched', () => {
  for (const { definition, mode, gpus, port, image } of CASES) {
    const request = requestFor(definition, mode, {
      ...(gpus ? { limits: { gpus: [...gpus] } } : {}),
      ...(port ? { port } : {}),
      ...(image ? { image } : {}),
    });
    const facts = factsFor(definition, port ? { port } : {});
    const before = JSON.stringify(facts);
    const first = planLaunch(request, facts);
    const second = planLaunch(structuredClone(request), { ...facts });
    assert.equal(snapshot(first), snapshot(second), `${definition.name} ${mode}`);
    assert.equal(JSON.stringify(facts), before);
  }
});

test('every engine plans every mode it lists: port, GPUs, model path, image and command line', () => {
  for (const { definition, mode, gpus, port, image } of CASES) {
    const label = `${definition.name} --mode ${mode}${gpus ? ' --gpus 1' : ''}${port ? ' --port' : ''}${image ? ' --image' : ''}`;
    const request = requestFor(definition, mode, {
      ...(gpus ? { limits: { gpus: [...gpus] } } : {}),
      ...(image ? { image } : {}),
    });
    const chosen = port ?? definition.defaultPort;
    const plan = planLaunch(request, factsFor(definition, { port: chosen }));
    assert.deepEqual(
      plan.checks.filter((c) => !c.ok),
      [],
      label,
    );
    assert.equal(plan.port, chosen, label);
    assert.equal(plan.request.port, chosen, label);
    const expectedGpus = gpus ? [...gpus] : definition.requiresGpu ? 'all' : undefined;
    assert.deepEqual(plan.gpus, expectedGpus, label);
    assert.deepEqual(plan.limits.gpus, expectedGpus, label);
    assert.equal(plan.servedModel, definition.servedModelName(modelFor(definition)), label);
    if (mode === 'docker') {
      const container = plan.container!;
      assert.equal(plan.image?.image, image ?? plan.image?.image, label);
      assert.equal(plan.image?.source, image ? 'override' : 'catalog', label);
      assert.equal(container.image, plan.image?.image, label);
      assert.equal(plan.modelPathInEngine, `/models/${modelFor(definition).servePath.split('/').at(-1)}`, label);
      assert.deepEqual(
        container.mounts[0],
        {
          type: 'bind',
          source: `/host${modelFor(definition).servePath}`,
          target: plan.modelPathInEngine,
          readOnly: true,
        },
        label,
      );
      assert.equal(container.network, 'host', label);
      assert.equal(container.labels['kitt.engine'], definition.name, label);
      assert.equal(container.name, `kitt-${definition.name}-abc123-a1b2c3`, label);
      // renumbered inside the container: host GPU 1 is device 0 there
      assert.equal(container.env.CUDA_VISIBLE_DEVICES, gpus ? '0' : undefined, label);
      assert.equal(plan.command, undefined, label);
    } else {
      const command = plan.command!;
      assert.equal(plan.modelPathInEngine, modelFor(definition).servePath, label);
      assert.equal(command.env.CUDA_VISIBLE_DEVICES, gpus ? '1' : undefined, label);
      assert.equal(plan.container, undefined, label);
    }
    const line = [
      ...(plan.container?.cmd ?? []),
      ...(plan.command?.args ?? []),
      ...Object.values(plan.container?.env ?? plan.command?.env ?? {}),
    ].join(' ');
    if (chosen !== 0) assert.ok(line.includes(String(chosen)), `${label}: port ${chosen} in ${line}`);
  }
});

test('the embedded engine plans its own child with threads from the CPU budget and a port it picks', () => {
  const embedded = ENGINE_CATALOG.embedded;
  const plan = planLaunch(requestFor(embedded, 'embedded', { limits: { cpus: 3 } }), factsFor(embedded, { port: 0 }));
  assert.equal(plan.port, 0);
  const args = plan.command!.args;
  assert.deepEqual(args.slice(args.indexOf('--model')), [
    '--model',
    '/srv/models/tiny.gguf',
    '--port',
    '0',
    '--parallel',
    '4',
    '--threads',
    '3',
  ]);
  assert.equal(plan.command!.command, process.execPath);
  assert.deepEqual(plan.readiness.path, '/health');
});

test('a mode the engine lacks is the only finding, and nothing is planned', () => {
  const exl2 = ENGINE_CATALOG.exllamav2;
  const plan = planLaunch(requestFor(exl2, 'native', {}), factsFor(exl2));
  assert.deepEqual(
    plan.checks.map((c) => [c.name, c.ok, c.hint]),
    [['mode', false, 'use --mode docker']],
  );
  assert.equal(plan.container, undefined);
  assert.equal(plan.command, undefined);
});

test('problems the plan can see are all listed: a wrong model, too few GPUs, no image for this host', () => {
  const vllm = ENGINE_CATALOG.vllm;
  const plan = planLaunch(
    requestFor(vllm, 'docker', { limits: { gpus: [3] } }),
    factsFor(vllm, {
      host: { arch: 'arm64' },
      gpuCount: 2,
      model: { ok: false, message: 'vllm cannot load gguf models', hint: 'use -e llamacpp' },
    }),
  );
  assert.deepEqual(
    plan.checks.filter((c) => !c.ok).map((c) => c.code),
    ['MODEL_FORMAT_MISMATCH', 'GPU_UNAVAILABLE'],
  );
  const tgi = ENGINE_CATALOG.tgi;
  const arm = planLaunch(requestFor(tgi, 'docker', {}), factsFor(tgi, { host: { arch: 'arm64' } }));
  assert.deepEqual(
    arm.checks.filter((c) => !c.ok).map((c) => [c.code, c.hint]),
    [['IMAGE_MISSING', 'pass --image or set engines.tgi.image in the config']],
  );
  assert.equal(arm.container, undefined);
});

test('config, profile and --engine-arg fold into the plan once, the last one winning', () => {
  const llamacpp = ENGINE_CATALOG.llamacpp;
  const plan = planLaunch(
    requestFor(llamacpp, 'docker', { engineArgs: ['--ctx-size', '512'] }),
    factsFor(llamacpp, {
      settings: {
        args: { llamacpp: ['--flash-attn'] },
        env: { llamacpp: { LLAMA_ARG_X: '1' } },
        images: { llamacpp: 'me/llama:custom' },
        startupTimeoutMs: { llamacpp: 5_000 },
      },
    }),
  );
  assert.equal(plan.image?.image, 'me/llama:custom');
  assert.equal(plan.readiness.timeoutMs, 5_000);
  assert.equal(plan.container?.env.LLAMA_ARG_X, '1');
  const cmd = plan.container!.cmd;
  assert.deepEqual(cmd.slice(-3), ['--flash-attn', '--ctx-size', '512']);
  assert.ok(!cmd.slice(0, -3).includes('--ctx-size'), 'the default context gives way to the passed one');
});

test('an image given for a mode that runs no container is a finding, not silently ignored', () => {
  for (const definition of DEFINITIONS) {
    for (const mode of definition.modes.filter((m) => m !== 'docker')) {
      const plan = planLaunch(
        requestFor(definition, mode, { image: 'registry.example/custom:1' }),
        factsFor(definition),
      );
      assert.deepEqual(
        plan.checks.filter((c) => !c.ok).map((c) => [c.name, c.code]),
        [['image', 'USAGE']],
        `${definition.name} in ${mode} mode`,
      );
    }
  }
});
