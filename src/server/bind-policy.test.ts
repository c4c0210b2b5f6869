import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isLoopbackHost } from './bind-policy.js';

test('loopback is 127.0.0.0/8, ::1 and localhost; every other address reaches other machines', () => {
  for (const host of ['127.0.0.1', '127.8.9.10', '::1', '[::1]', 'localhost', 'LOCALHOST', '::ffff:127.0.0.1']) {
    assert.equal(isLoopbackHost(host), true, host);
  }
  for (const host of ['0.0.0.0', '::', '192.168.1.5', '10.0.0.1', 'example.com', '128.0.0.1', '::ffff:10.0.0.1', '']) {
    assert.equal(isLoopbackHost(host), false, host);
  }
});
