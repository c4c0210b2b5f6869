import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mergeStampFigures, SocketStamps } from './socket-stamps.js';

test('without the built stamper a run stamps on the event loop and says why', () => {
  const stamps = SocketStamps.open('socket', '/nonexistent/socket-stamp.node');
  assert.equal(stamps.source, 'event-loop');
  assert.match(stamps.reason!, /socket stamper is not built \(scripts\/build-native\.sh needs a C compiler/);
  assert.deepEqual(stamps.poolOptions(), {}, "undici's own connector");
  const chunk = Buffer.from('data: {}\n\n');
  assert.equal(stamps.arrivedAtMs(chunk, 12.5), 12.5, "the loop's time");
  assert.deepEqual(stamps.figures(), {
    stamps: 'event-loop',
    socketStamped: 0,
    readLagP99Ms: null,
    stampThreadRealtime: false,
  });
});

test('shards merge to socket stamps only when every shard had them, with the worst lag', () => {
  const socket = { stamps: 'socket', socketStamped: 10, readLagP99Ms: 2, stampThreadRealtime: true } as const;
  assert.deepEqual(mergeStampFigures([socket, { ...socket, readLagP99Ms: 5 }]), {
    stamps: 'socket',
    socketStamped: 20,
    readLagP99Ms: 5,
    stampThreadRealtime: true,
  });
  const merged = mergeStampFigures([
    socket,
    { stamps: 'event-loop', socketStamped: 0, readLagP99Ms: null, stampThreadRealtime: false },
  ]);
  assert.equal(merged.stamps, 'event-loop');
  assert.equal(merged.readLagP99Ms, 2);
  assert.equal(merged.stampThreadRealtime, false);
});
