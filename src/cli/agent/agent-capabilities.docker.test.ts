import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { test } from 'node:test';
import { LLAMACPP_CPU_IMAGE } from '../../engines/llamacpp.js';
import { createDockerRuntime } from '../../runtime/docker/docker-runtime.js';
import { AgentRegisterSchema } from '../../server/fleet/fleet-schemas.js';
import { llamaCppImageReady } from '../../testing/docker-gate.js';
import { describeAgentHost, engineImages, presentImages } from './agent-capabilities.js';

/** Tier 2: the images an agent registers are the engine images the real daemon holds. */

test('an agent registers the engine images the daemon holds, in a payload the fleet accepts', async (t) => {
  if (!(await llamaCppImageReady(t))) return;
  const startedAt = performance.now();
  const registration = await describeAgentHost(tmpdir(), process.env);
  const tookMs = performance.now() - startedAt;
  const { images } = registration.capabilities;
  assert.ok(images?.includes(LLAMACPP_CPU_IMAGE), `${LLAMACPP_CPU_IMAGE} missing from ${images}`);
  // every one listed is an engine image the daemon really has
  const runtime = createDockerRuntime();
  for (const image of images ?? []) {
    assert.ok(engineImages().includes(image));
    assert.ok(await runtime.imageExists(image));
  }
  assert.ok(AgentRegisterSchema.safeParse(registration).success);
  t.diagnostic(`${images?.length} engine images present, described in ${Math.round(tookMs)} ms`);
});

test("the config's image overrides are looked for too; one the daemon lacks is left out", async (t) => {
  if (!(await llamaCppImageReady(t))) return;
  const config = {
    engines: {
      llamacpp: { image: 'kitt/no-such-image:never' },
      profiles: { tiny: { engine: 'llamacpp', image: LLAMACPP_CPU_IMAGE } },
    },
  } as unknown as Parameters<typeof engineImages>[0];
  const candidates = engineImages(config);
  assert.ok(candidates.includes('kitt/no-such-image:never'));
  assert.equal(candidates.filter((image) => image === LLAMACPP_CPU_IMAGE).length, 1);
  const present = await presentImages(createDockerRuntime(), candidates, 2_000);
  assert.ok(present.includes(LLAMACPP_CPU_IMAGE));
  assert.ok(!present.includes('kitt/no-such-image:never'));
});

test('without a daemon that answers, an agent registers with no images and no docker mode', async () => {
  const registration = await describeAgentHost(tmpdir(), { ...process.env, DOCKER_HOST: 'tcp://127.0.0.1:1' });
  assert.deepEqual(registration.capabilities.images, []);
  assert.equal(registration.capabilities.docker, false);
  assert.ok(!registration.capabilities.modes.includes('docker'));
  assert.ok(AgentRegisterSchema.safeParse(registration).success);
});

test('a daemon that does not answer in time costs the timeout and lists no images', async () => {
  const hung = { imageExists: () => new Promise<boolean>(() => {}) };
  const startedAt = performance.now();
  assert.deepEqual(await presentImages(hung, engineImages(), 100), []);
  const tookMs = performance.now() - startedAt;
  assert.ok(tookMs >= 95 && tookMs < 1_000, `${tookMs} ms`);
});
