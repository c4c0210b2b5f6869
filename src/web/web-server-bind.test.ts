import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startWebServer } from './web-server.js';

test('the web server binds loopback unless told otherwise, and its url names the address it bound', async () => {
  await using loopback = await startWebServer({ port: 0, version: '1' });
  assert.equal(loopback.url, `http://127.0.0.1:${loopback.port}`);
  await using everywhere = await startWebServer({ host: '0.0.0.0', port: 0, version: '1' });
  assert.equal(everywhere.url, `http://0.0.0.0:${everywhere.port}`);
  assert.equal((await fetch(`http://127.0.0.1:${everywhere.port}/health`)).status, 200);
});
