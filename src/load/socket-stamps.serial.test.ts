import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { spawnExactScheduleServer } from '../testing/spawn-exact-schedule-server.js';
import { parseLoadSpec } from './load-spec.js';
import { runLoad } from './run-load.js';
import type { StampSource } from './socket-stamps.js';

const built = existsSync(fileURLToPath(new URL('../../dist/native/socket-stamp.node', import.meta.url)));
// CI installs a compiler before the tests, so there the stamper must have been built
const skip = !built && !process.env.CI ? 'the socket stamper is not built (scripts/build-native.sh)' : false;

const blockFor = (ms: number) => {
  const until = performance.now() + ms;
  while (performance.now() < until);
};

/**
 * One request of 4 tokens, 50 ms to the first and 100 ms apart (server's own write log as the
 * truth), with the client's event loop blocked for 200 ms from 100 ms after the send: the second
 * and third tokens are written at ~150 and ~250 ms, while the loop is blocked, and read at ~300 ms.
 */
async function gapErrorsWithBlockedLoop(stamps: StampSource) {
  const server = await spawnExactScheduleServer(['--ttft-ms', '50', '--itl-ms', '100', '--no-role-chunk', '--log']);
  try {
    const spec = parseLoadSpec({
      kind: 'fixed-concurrency',
      concurrency: 1,
      requests: 1,
      stamps,
      prompts: { kind: 'synthetic', inputTokens: 8, outputTokens: 4, cacheBust: false },
    });
    let blocker: NodeJS.Timeout | undefined;
    const result = await runLoad(
      spec,
      {
        baseUrl: server.url,
        api: 'openai-chat',
        model: 'm',
        supports: { ignoreEos: true, tokenize: false, usage: 'final' },
      },
      {
        requestTag: `stamps-${stamps}`,
        keepRecords: true,
        // the request goes out now: its second and third tokens are written inside the block
        onMeasureStart: () => {
          blocker = setTimeout(() => blockFor(200), 100);
        },
      },
    );
    clearTimeout(blocker);
    const [record] = result.records;
    assert.equal(record?.error, null);
    const writes = ((await (await request(`${server.url}/_log`)).body.json()) as Record<string, number[]>)[
      `stamps-${stamps}-${record!.id}`
    ]!;
    assert.equal(record!.arrivals.length, 4);
    const errors = writes
      .slice(1)
      .map((at, i) => record!.arrivals[i + 1]!.atMs - record!.arrivals[i]!.atMs - (at - writes[i]!));
    return { errors, selfCheck: result.selfCheck };
  } finally {
    await server.close();
  }
}

test('a token that reaches the socket while the event loop is blocked keeps its arrival time', { skip }, async () => {
  const { errors, selfCheck } = await gapErrorsWithBlockedLoop('socket');
  assert.equal(selfCheck.stamps, 'socket');
  // the gap into the token that came during the block is the server's, not the block's
  for (const error of errors) assert.ok(Math.abs(error) < 5, `gap errors ${errors.join(', ')} ms`);
  assert.ok(selfCheck.socketStamped >= 1);
  assert.ok(selfCheck.readLagP99Ms !== null && selfCheck.readLagP99Ms >= 20, `read lag ${selfCheck.readLagP99Ms} ms`);
});

test('stamped on the event loop, the same token is late by the block (what the socket stamps take out)', async () => {
  const { errors, selfCheck } = await gapErrorsWithBlockedLoop('event-loop');
  assert.equal(selfCheck.stamps, 'event-loop');
  assert.equal(selfCheck.readLagP99Ms, null);
  assert.ok(errors[0]! > 20, `the blocked gap reads ${errors[0]} ms too long`);
});
