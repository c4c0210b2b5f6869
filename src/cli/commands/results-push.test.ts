import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { DEFAULT_CONFIG } from '../../config/config-schema.js';
import { EXIT_CODES } from '../../core/errors.js';
import { createApiToken } from '../../server/auth/api-tokens.js';
import { serveKitt } from '../../server/serve-kitt.js';
import { openStore } from '../../store/open-store.js';
import { freePort } from '../../testing/free-port.js';
import { exitOf, kittSpawn, minuteLongLoad, tempHome } from '../../testing/kitt-cli.js';
import { waitUntil } from '../../testing/kitt-session.js';
import { ensureTestModel } from '../../testing/test-model.js';

const SHORT_LOAD = ['--requests', '4', '--concurrency', '2', '--warmup', '1', '--prompt-tokens', '16'];
const LOAD_TAIL = ['--output-tokens', '16'];

/** kitt as a child process, awaited without blocking the event loop the in-process server answers on. */
async function kitt(t: TestContext, args: string[], env: Record<string, string>) {
  const child = kittSpawn(t, args, env);
  const { code } = await exitOf(child);
  return { code, output: child.output() };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile());
}

async function latestRunId(home: string): Promise<string> {
  await using store = await openStore(join(home, 'kitt.db'));
  const [run] = await store.listRuns({ limit: 1 });
  assert.ok(run, 'the run is in the local store');
  return run.id;
}

test('kitt run --upload pushes the run it recorded; kitt results push again finds it there; a down server costs a warning', async (t) => {
  const model = await ensureTestModel();
  const serverHome = tempHome(t, 'kitt-server-home-');
  const tokens = await (async () => {
    await using store = await openStore(join(serverHome, 'kitt.db'));
    return {
      write: (await createApiToken(store, { name: 'lab-a', scope: 'write' })).token,
      read: (await createApiToken(store, { name: 'viewer', scope: 'read' })).token,
    };
  })();
  const logged: string[] = [];
  await using server = await serveKitt({
    config: DEFAULT_CONFIG,
    home: serverHome,
    host: '127.0.0.1',
    port: 0,
    version: 't',
    log: (line) => logged.push(line),
  });
  const home = tempHome(t);
  const env = { KITT_HOME: home, KITT_SERVER_TOKEN: tokens.write };
  const outputs: string[] = [];

  const run = await kitt(t, ['run', '-m', model, ...SHORT_LOAD, ...LOAD_TAIL, '--upload', server.url], env);
  outputs.push(run.output);
  assert.equal(run.code, 0, run.output);
  const id = await latestRunId(home);
  assert.match(
    run.output,
    new RegExp(`pushed ${id} → ${server.url}/runs/${id} \\(created\\), \\d+ files, [\\d.]+ (KiB|MiB|B) sent`),
  );
  const served = await fetch(`${server.url}/api/v1/runs/${id}/artifacts/report.html`, {
    headers: { authorization: `Bearer ${tokens.read}` },
  });
  assert.equal(served.status, 200);
  assert.equal(await served.text(), readFileSync(join(home, 'results', id, 'report.html'), 'utf8'));
  assert.ok(readdirSync(join(serverHome, 'server', 'runs', id)).includes('requests.jsonl'));

  const again = await kitt(t, ['results', 'push', id.slice(0, 20), '--server', server.url], env);
  outputs.push(again.output);
  assert.equal(again.code, 0, again.output);
  assert.match(again.output, new RegExp(`^pushed ${id} → \\S+ \\(already there\\), \\d+ files`, 'm'));

  const readOnly = await kitt(t, ['results', 'push', id, '--server', server.url, '--token-env', 'VIEWER'], {
    KITT_HOME: home,
    VIEWER: tokens.read,
  });
  outputs.push(readOnly.output);
  assert.equal(readOnly.code, 4);
  assert.match(
    readOnly.output,
    /^error: .*403 token viewer has the read scope.*\(set VIEWER to a token with the write scope/m,
  );

  const noToken = await kitt(t, ['results', 'push', id, '--server', server.url], { KITT_HOME: home });
  outputs.push(noToken.output);
  assert.equal(noToken.code, 2);
  assert.match(noToken.output, /^error: KITT_SERVER_TOKEN is not set.*kitt server token create --scope write/m);

  const mixed = await kitt(t, ['results', 'push', id, 'no-such-run', '--server', server.url], env);
  outputs.push(mixed.output);
  assert.equal(mixed.code, 4, mixed.output);
  assert.match(mixed.output, /^pushed /m);
  assert.match(mixed.output, /^error: no-such-run: no run no-such-run/m);
  assert.match(mixed.output, /^error: 1 of 2 runs were not pushed/m);

  const down = `http://127.0.0.1:${await freePort()}`;
  const offline = await kitt(t, ['run', '-m', model, ...SHORT_LOAD, ...LOAD_TAIL, '--upload', down], env);
  outputs.push(offline.output);
  assert.equal(offline.code, 0, 'the run succeeded: the push that failed does not change its exit code');
  const kept = await latestRunId(home);
  assert.notEqual(kept, id);
  assert.match(
    offline.output,
    new RegExp(
      `warning: run ${kept} is kept locally, not pushed \\(.*\\); push it later: kitt results push ${kept} --server ${down}$`,
      'm',
    ),
  );
  const later = await kitt(t, ['results', 'push', kept, '--server', server.url, '--json'], env);
  outputs.push(later.output);
  assert.equal(later.code, 0, later.output);
  assert.equal(JSON.parse(later.output)[0].outcome, 'created');

  for (const token of [tokens.write, tokens.read]) {
    assert.ok(!outputs.some((output) => output.includes(token)), 'no token in the CLI output');
    assert.ok(!logged.some((line) => line.includes(token)), 'no token in the server log');
    for (const file of [...filesUnder(home), ...filesUnder(serverHome)]) {
      assert.ok(!readFileSync(file).includes(token), file);
    }
  }
});

test('kitt run --upload pushes an interrupted run as interrupted, and exits as the interrupted run does', async (t) => {
  const model = await ensureTestModel();
  const serverHome = tempHome(t, 'kitt-server-home-');
  const token = await (async () => {
    await using store = await openStore(join(serverHome, 'kitt.db'));
    return (await createApiToken(store, { name: 'lab-b', scope: 'write' })).token;
  })();
  await using server = await serveKitt({
    config: DEFAULT_CONFIG,
    home: serverHome,
    host: '127.0.0.1',
    port: 0,
    version: 't',
    log: () => {},
  });
  const home = tempHome(t);
  const load = minuteLongLoad({ rate: 2, outputTokens: 16, warmup: 1 });
  const child = kittSpawn(t, ['run', '-m', model, ...load, '--upload', server.url], {
    KITT_HOME: home,
    KITT_SERVER_TOKEN: token,
  });
  const measuring = await waitUntil(
    () => /\[kitt\] stage \d+\/\d+ constant-rate/.test(child.output()) || child.exitCode !== null,
    45_000,
  );
  assert.ok(measuring && child.exitCode === null, child.output());
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  child.kill('SIGINT');
  const { code } = await exitOf(child);
  assert.equal(code, EXIT_CODES.INTERRUPTED, child.output());
  const id = await latestRunId(home);
  assert.match(child.output(), new RegExp(`pushed ${id} → \\S+ \\(created\\)`));
  const detail = await fetch(`${server.url}/api/v1/runs/${id}`, { headers: { authorization: `Bearer ${token}` } });
  const body = (await detail.json()) as { run: { status: string }; artifacts: Array<{ name: string }> };
  assert.equal(body.run.status, 'interrupted');
  assert.ok(body.artifacts.some((artifact) => artifact.name === 'requests.jsonl'));
  assert.ok(!child.output().includes(token));
});
