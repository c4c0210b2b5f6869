import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { request } from 'undici';
import { type ReplayManifest, replayFixtures, splitFrames, startReplayServer } from './replay-server.js';

const fixturesRoot = new URL('../engines/fixtures/', import.meta.url);
const replayed = readdirSync(fixturesRoot, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);

test('every replay folder serves its routes and splits its streams into whole recorded frames', async () => {
  assert.ok(replayed.length >= 4, `replay folders: ${replayed.join(', ')}`);
  for (const engine of replayed) {
    const folder = replayFixtures(engine);
    const manifest = JSON.parse(readFileSync(new URL('replay.json', folder), 'utf8')) as ReplayManifest;
    for (const route of manifest.routes.filter((r) => r.stream)) {
      const body = readFileSync(new URL(route.file ?? '', folder), 'utf8');
      const frames = splitFrames(body, route.stream ?? 'sse').map(String);
      // nothing is lost or reordered: the frames are the recording
      assert.equal(frames.join('').trimEnd(), body.trimEnd(), `${engine} ${route.path}`);
      for (const frame of frames) {
        if (route.stream === 'sse') assert.match(frame, /^data: .*\n\n$/s, `${engine} ${route.path}`);
        else assert.doesNotThrow(() => JSON.parse(frame), `${engine} ${route.path}`);
      }
    }
    const server = await startReplayServer(folder);
    try {
      for (const route of manifest.routes) {
        const response = await request(`${server.baseUrl}${route.path}`, {
          method: route.method,
          ...(route.method === 'POST' ? { body: '{}' } : {}),
        });
        await response.body.text();
        assert.equal(response.statusCode, route.status ?? 200, `${engine} ${route.method} ${route.path}`);
      }
      const refused = await request(`${server.baseUrl}${manifest.routes.at(-1)?.path}`, { method: 'POST', body: '{' });
      assert.equal(refused.statusCode, manifest.error.status, `${engine} refuses a body that is not JSON`);
      assert.ok((await refused.body.text()).length > 0);
    } finally {
      await server.close();
    }
  }
});

test('a replayed stream arrives frame by frame, not as one write', async () => {
  const server = await startReplayServer(replayFixtures('vllm'));
  try {
    const response = await request(`${server.baseUrl}/v1/completions`, { method: 'POST', body: '{}' });
    const arrivals: number[] = [];
    for await (const _chunk of response.body) arrivals.push(performance.now());
    // seven recorded events, 10 ms apart: they cannot all arrive in one read
    assert.ok(arrivals.length >= 4, `${arrivals.length} reads`);
    assert.ok(arrivals.at(-1)! - arrivals[0]! >= 40, 'the frames were not spread over time');
  } finally {
    await server.close();
  }
});
