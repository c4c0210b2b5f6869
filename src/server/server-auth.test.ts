import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { DEFAULT_CONFIG } from '../config/config-schema.js';
import { KittError } from '../core/errors.js';
import { openStore } from '../store/open-store.js';
import type { Store } from '../store/store-types.js';
import { seedRuns } from '../testing/seed-runs.js';
import { createApiToken, revokeApiToken } from './auth/api-tokens.js';
import { serveKitt } from './serve-kitt.js';
import { MAX_BODY_BYTES } from './server-app.js';

function tempHome(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'kitt-auth-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function startServer(t: TestContext, home: string, options: { trustProxy?: boolean } = {}) {
  const logged: string[] = [];
  const server = await serveKitt({
    config: DEFAULT_CONFIG,
    home,
    host: '127.0.0.1',
    port: 0,
    version: 't',
    trustProxy: options.trustProxy ?? false,
    log: (line) => logged.push(line),
  });
  t.after(() => server.close());
  const call = async (path: string, init: RequestInit & { token?: string } = {}) => {
    const headers = new Headers(init.headers);
    if (init.token) headers.set('authorization', `Bearer ${init.token}`);
    const response = await fetch(`${server.url}${path}`, { ...init, headers, redirect: 'manual' });
    const text = await response.text();
    return { status: response.status, headers: response.headers, text };
  };
  return { server, call, logged };
}

/** Every file under a folder, as bytes: the token must not be in any of them (the store included). */
function filesUnder(dir: string): Array<{ path: string; bytes: Buffer }> {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [{ path, bytes: readFileSync(path) }];
  });
}

async function withStore<T>(home: string, work: (store: Store) => Promise<T>): Promise<T> {
  await using store = await openStore(join(home, 'kitt.db'));
  return await work(store);
}

test('reads are open on loopback until a token exists; then every request needs one, by scope', async (t) => {
  const home = tempHome(t);
  const seeded = await withStore(home, (store) => seedRuns(store, join(home, 'results')));
  const { call, logged } = await startServer(t, home);
  assert.equal((await call('/api/v1/runs')).status, 200, 'no token yet: open reads on loopback');
  const anonymousWrite = await call('/api/v1/tokens', { method: 'POST', body: '{"name":"x","scope":"read"}' });
  assert.equal(anonymousWrite.status, 401, 'open reads never open writes');

  const admin = await withStore(home, (store) => createApiToken(store, { name: 'ops', scope: 'admin' }));
  const reader = await withStore(home, (store) => createApiToken(store, { name: 'viewer', scope: 'read' }));
  const none = await call('/api/v1/runs');
  assert.equal(none.status, 401, 'a token exists: no token → 401');
  assert.equal(JSON.parse(none.text).error.code, 'UNAUTHORIZED');
  assert.equal((await call(`/api/v1/runs/${seeded[0]!.id}`)).status, 401);
  assert.equal(
    (await call('/api/v1/runs', { token: 'kitt_000000000000_' + 'x'.repeat(43) })).status,
    401,
    'unknown token',
  );
  // The last character changed to one it cannot already be, or one token in 64 would test itself.
  const altered = reader.token.slice(0, -1) + (reader.token.endsWith('A') ? 'B' : 'A');
  assert.equal((await call('/api/v1/runs', { token: altered })).status, 401, 'altered secret');
  assert.equal((await call('/api/v1/runs', { token: reader.token })).status, 200);
  assert.equal((await call('/api/v1/runs', { token: reader.token })).status, 200, 'a second use (digest remembered)');

  const readerWrites = await call('/api/v1/tokens', {
    method: 'POST',
    token: reader.token,
    headers: { 'content-type': 'application/json' },
    body: '{"name":"more","scope":"admin"}',
  });
  assert.equal(readerWrites.status, 403);
  assert.match(JSON.parse(readerWrites.text).error.message, /viewer has the read scope; this needs admin/);

  const created = await call('/api/v1/tokens', {
    method: 'POST',
    token: admin.token,
    headers: { 'content-type': 'application/json' },
    body: '{"name":"ci","scope":"write"}',
  });
  assert.equal(created.status, 201);
  const ci = JSON.parse(created.text) as { token: string; info: { id: string; scope: string } };
  assert.equal(ci.info.scope, 'write');
  assert.equal((await call('/api/v1/hosts', { token: ci.token })).status, 200, 'write grants read');
  assert.equal((await call('/api/v1/tokens', { token: ci.token })).status, 403, 'write does not grant admin');

  await withStore(home, (store) => revokeApiToken(store, 'viewer'));
  assert.equal(
    (await call('/api/v1/runs', { token: reader.token })).status,
    401,
    'revoked from another process: 401 at once',
  );
  const revokedOverHttp = await call(`/api/v1/tokens/${ci.info.id}`, { method: 'DELETE', token: admin.token });
  assert.equal(revokedOverHttp.status, 200);
  assert.equal((await call('/api/v1/runs', { token: ci.token })).status, 401);

  const listed = await call('/api/v1/tokens', { token: admin.token });
  assert.deepEqual(
    (JSON.parse(listed.text).tokens as Array<{ name: string }>).map((token) => token.name),
    ['ops', 'viewer', 'ci'],
  );

  assert.deepEqual(
    logged.map((line) => line.replace(/^\S+ /, '')),
    [
      `admin by token "ops" (${admin.info.id}): POST /api/v1/tokens -> 201`,
      `admin by token "ops" (${admin.info.id}): DELETE /api/v1/tokens/${ci.info.id} -> 200`,
      `admin by token "ops" (${admin.info.id}): GET /api/v1/tokens -> 200`,
    ],
  );
  for (const secret of [admin.token, reader.token, ci.token]) {
    const bare = secret.slice('kitt_000000000000_'.length);
    assert.ok(!listed.text.includes(bare), 'no response lists a secret');
    assert.ok(!logged.join('\n').includes(bare), 'no log line holds a secret');
    for (const file of filesUnder(home)) assert.ok(!file.bytes.includes(bare), `${file.path} holds no secret`);
  }
});

test('the dashboard signs in with a token and keeps an HttpOnly, SameSite=Strict session for reads', async (t) => {
  const home = tempHome(t);
  await withStore(home, (store) => seedRuns(store, join(home, 'results')));
  const writer = await withStore(home, (store) => createApiToken(store, { name: 'alice', scope: 'write' }));
  const { call, logged } = await startServer(t, home, { trustProxy: true });
  const gated = await call('/runs');
  assert.equal(gated.status, 303);
  assert.equal(gated.headers.get('location'), '/sign-in');

  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  const wrong = await call('/sign-in', { method: 'POST', headers: form, body: 'token=kitt_nope' });
  assert.equal(wrong.status, 401);
  assert.equal(wrong.headers.get('set-cookie'), null);

  const signIn = await call('/sign-in', {
    method: 'POST',
    headers: form,
    body: new URLSearchParams({ token: writer.token }).toString(),
  });
  assert.equal(signIn.status, 303);
  const cookie = signIn.headers.get('set-cookie') ?? '';
  assert.match(cookie, /^kitt_session=[\w-]{43};/);
  assert.match(cookie, /HttpOnly/);
  assert.match(cookie, /SameSite=Strict/);
  assert.doesNotMatch(cookie, /Secure/, 'plain HTTP: a Secure cookie would never come back');
  const session = cookie.split(';')[0]!;
  assert.equal((await call('/runs', { headers: { cookie: session } })).status, 200);
  assert.equal((await call('/api/v1/runs', { headers: { cookie: session } })).status, 200, 'the session reads the API');
  const write = await call('/api/v1/tokens/alice', { method: 'DELETE', headers: { cookie: session } });
  assert.equal(write.status, 401, 'a cookie never writes: another site cannot make the browser do it');

  const behindTls = await call('/sign-in', {
    method: 'POST',
    headers: { ...form, 'x-forwarded-proto': 'https' },
    body: new URLSearchParams({ token: writer.token }).toString(),
  });
  assert.match(behindTls.headers.get('set-cookie') ?? '', /Secure/, 'a trusted TLS proxy in front: Secure');

  await withStore(home, (store) => revokeApiToken(store, 'alice'));
  assert.equal(
    (await call('/api/v1/runs', { headers: { cookie: session } })).status,
    401,
    'revoking the token ends its sessions',
  );
  assert.equal((await call('/sign-out', { method: 'POST', headers: { cookie: session } })).status, 303);
  assert.equal(logged.filter((line) => line.includes('sign-in by token "alice"')).length, 2);
  assert.ok(!logged.join('\n').includes(writer.token.slice('kitt_000000000000_'.length)));
});

/** A raw request, so the path reaches the server exactly as written (fetch would normalise `..`). */
function rawGet(url: string, path: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ hostname, port, path, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('no path outside the routes is served: traversal, encoded or not, is a 404 that reads nothing', async (t) => {
  const home = tempHome(t);
  const seeded = await withStore(home, (store) => seedRuns(store, join(home, 'results')));
  const { server } = await startServer(t, home);
  const id = seeded[0]!.id;
  const attempts = [
    '/..%2f..%2fetc/passwd',
    '/..%2F..%2F..%2Fetc%2Fpasswd',
    '/%2e%2e/%2e%2e/etc/passwd',
    '/../../etc/passwd',
    '/..%252f..%252fetc/passwd',
    '/..%c0%af..%c0%afetc/passwd',
    `/api/v1/runs/${id}/artifacts/..%2f..%2f..%2fetc%2fpasswd`,
    `/api/v1/runs/${id}/artifacts/%2e%2e%2f%2e%2e%2fetc%2fpasswd`,
    `/api/v1/runs/..%2f..%2fetc/artifacts/passwd`,
    `/api/v1/runs/${id}/artifacts/report.html%00.txt`,
    '/static/..%2f..%2fetc/passwd',
  ];
  for (const path of attempts) {
    const response = await rawGet(server.url, path);
    assert.equal(response.status, 404, path);
    assert.doesNotMatch(response.body, /root:/, path);
  }
});

test('bodies and URLs have size limits, answered in the one error shape', async (t) => {
  const home = tempHome(t);
  const admin = await withStore(home, (store) => createApiToken(store, { name: 'ops', scope: 'admin' }));
  const { call } = await startServer(t, home);
  const big = await call('/api/v1/tokens', {
    method: 'POST',
    token: admin.token,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'x', scope: 'read', pad: 'x'.repeat(MAX_BODY_BYTES) }),
  });
  assert.equal(big.status, 413);
  assert.equal(JSON.parse(big.text).error.code, 'PAYLOAD_TOO_LARGE');
  const long = await call(`/api/v1/runs?engine=${'e'.repeat(9000)}`, { token: admin.token });
  assert.equal(long.status, 414);
  assert.equal((await call('/health')).status, 200, 'the server stays up');
});

test('binding anything but loopback is refused while no API token exists, naming --host', async (t) => {
  const home = tempHome(t);
  await assert.rejects(
    serveKitt({ config: DEFAULT_CONFIG, home, host: '0.0.0.0', port: 0, version: 't', log: () => {} }),
    (error: unknown) => {
      assert.ok(error instanceof KittError);
      assert.equal(error.code, 'USAGE');
      assert.match(error.message, /--host 0\.0\.0\.0/);
      assert.match(error.hint ?? '', /kitt server token create/);
      return true;
    },
  );
});
