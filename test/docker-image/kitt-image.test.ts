import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { test } from 'node:test';
import { skipUnlessDocker } from '../../src/testing/docker-gate.js';
import { waitUntil } from '../../src/testing/kitt-session.js';
import { ensureTestModel } from '../../src/testing/test-model.js';
import { docker, KITT_IMAGE, PACKAGE_VERSION, skipUnlessImage, socketGroup } from './kitt-image.js';

const SOCKET = '/var/run/docker.sock';

test('the kitt image prints the package version', async (t) => {
  if ((await skipUnlessDocker(t)) || (await skipUnlessImage(t, KITT_IMAGE))) return;
  const res = await docker(['run', '--rm', '--network', 'host', KITT_IMAGE, '--version']);
  assert.equal(res.code, 0, res.stderr);
  assert.equal(res.stdout.trim(), PACKAGE_VERSION);
});

test('the kitt image runs as the non-root user kitt and prints help', async (t) => {
  if ((await skipUnlessDocker(t)) || (await skipUnlessImage(t, KITT_IMAGE))) return;
  const user = await docker(['run', '--rm', '--entrypoint', 'id', KITT_IMAGE, '-un']);
  assert.equal(user.stdout.trim(), 'kitt');
  const help = await docker(['run', '--rm', '--network', 'host', KITT_IMAGE, '--help']);
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /Usage: kitt/);
  assert.match(help.stdout, /\brun\b/);
});

test('the kitt image keeps its home in /data and has no dev dependencies or GPU binaries', async (t) => {
  if ((await skipUnlessDocker(t)) || (await skipUnlessImage(t, KITT_IMAGE))) return;
  const script = [
    'echo "home=$KITT_HOME"',
    'test -w /data && echo writable',
    'ls /app/node_modules/@node-llama-cpp/',
    'test -e /app/node_modules/typescript && echo HAS-TYPESCRIPT || true',
  ].join('; ');
  const res = await docker(['run', '--rm', '--entrypoint', 'sh', KITT_IMAGE, '-c', script]);
  assert.equal(res.code, 0, res.stderr);
  assert.match(res.stdout, /^home=\/data$/m);
  assert.match(res.stdout, /^writable$/m);
  assert.doesNotMatch(res.stdout, /cuda|vulkan/);
  assert.doesNotMatch(res.stdout, /HAS-TYPESCRIPT/);
});

test('kitt fingerprint runs inside the image', async (t) => {
  if ((await skipUnlessDocker(t)) || (await skipUnlessImage(t, KITT_IMAGE))) return;
  const res = await docker(['run', '--rm', '--network', 'host', KITT_IMAGE, 'fingerprint'], 120_000);
  assert.equal(res.code, 0, `${res.stdout}\n${res.stderr}`);
  assert.notEqual(res.stdout.trim(), '');
});

test('the Docker CLI inside reaches the mounted socket as the non-root user', async (t) => {
  if ((await skipUnlessDocker(t)) || (await skipUnlessImage(t, KITT_IMAGE))) return;
  const args = ['run', '--rm', '--network', 'host', '-v', `${SOCKET}:${SOCKET}`, '--group-add', socketGroup()];
  const res = await docker([...args, '--entrypoint', 'docker', KITT_IMAGE, 'version', '--format', '{{.Server.Os}}']);
  assert.equal(res.code, 0, res.stderr);
  assert.equal(res.stdout.trim(), 'linux');
});

test('started as root, as compose starts it, the image runs kitt as kitt with the socket group and no capabilities', async (t) => {
  if ((await skipUnlessDocker(t)) || (await skipUnlessImage(t, KITT_IMAGE))) return;
  const asRoot = ['--network', 'host', '--user', 'root', '-v', `${SOCKET}:${SOCKET}`, KITT_IMAGE];
  // reaching the daemon proves the group (a read-only check: nothing is removed or started)
  const check = await docker(['run', '--rm', ...asRoot, 'engines', 'check', 'llamacpp']);
  assert.match(check.stdout, /^ok\s+docker\s+docker reachable/m, `${check.stdout}\n${check.stderr}`);
  const name = `kitt-entrypoint-test-${process.pid}`;
  t.after(() => docker(['rm', '-f', name]));
  const started = await docker(['run', '-d', '--name', name, ...asRoot, 'web', '--port', '0']);
  assert.equal(started.code, 0, started.stderr);
  const pid = (await docker(['inspect', '--format', '{{.State.Pid}}', name])).stdout.trim();
  // the entrypoint's shell and setpriv exec in place: wait until the pid is kitt's own node
  const isKitt = () => /^\S*node\0\S*kitt\0/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
  assert.ok(await waitUntil(isKitt, 20_000), 'the entrypoint ends in kitt');
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  assert.match(status, /^Uid:\s+10001\s+10001\s+10001\s+10001$/m, 'kitt runs as the user kitt');
  assert.match(status, new RegExp(`^Groups:.*\\b${socketGroup()}\\b`, 'm'), "kitt has the socket's group");
  assert.match(status, /^CapEff:\s+0+$/m, 'no capability is left');
});

test('kitt in its image launches llama.cpp as a sibling container and removes it', async (t) => {
  if ((await skipUnlessDocker(t)) || (await skipUnlessImage(t, KITT_IMAGE))) return;
  const model = await ensureTestModel();
  const modelDir = dirname(model);
  // The model folder at the same path inside and out: the daemon resolves the engine's bind
  // mount on the host.
  const res = await docker(
    [
      'run',
      '--rm',
      '--network',
      'host',
      '-v',
      `${SOCKET}:${SOCKET}`,
      '--group-add',
      socketGroup(),
      '-v',
      `${modelDir}:${modelDir}:ro`,
      KITT_IMAGE,
      'run',
      '-m',
      model,
      '-e',
      'llamacpp',
      '--cpus',
      '1',
      '--memory',
      '1g',
      '--requests',
      '2',
      '--warmup',
      '0',
      '--prompt-tokens',
      '8',
      '--output-tokens',
      '8',
      '--json',
    ],
    300_000,
  );
  assert.equal(res.code, 0, `${res.stdout}\n${res.stderr}`);
  const { runId } = JSON.parse(res.stdout) as { runId: string };
  assert.ok(runId, 'kitt run --json reports its run id');
  const left = await docker(['ps', '-a', '-q', '--filter', `label=kitt.run-id=${runId}`]);
  assert.equal(left.code, 0, left.stderr);
  assert.equal(left.stdout.trim(), '', `containers of run ${runId} remain`);
});

test('the kitt image runs kitt agents on the embedded engine under --memory 1g --cpus 1, thinking and acting', async (t) => {
  if ((await skipUnlessDocker(t)) || (await skipUnlessImage(t, KITT_IMAGE))) return;
  const model = await ensureTestModel();
  const modelDir = dirname(model);
  const res = await docker(
    [
      'run',
      '--rm',
      '--network',
      'host',
      '--memory',
      '1g',
      '--memory-swap',
      '1g',
      '--cpus',
      '1',
      '-v',
      `${modelDir}:${modelDir}:ro`,
      KITT_IMAGE,
      'agents',
      '-m',
      model,
      '--threads',
      '1',
      '--agents',
      '2',
      '--steps',
      '2',
      '--rate',
      '3000',
    ],
    300_000,
  );
  assert.equal(res.code, 0, `${res.stdout}\n${res.stderr}`);
  const steps = res.stderr.split('\n').filter((line) => /agent \d step \d think \d+ tok .* → act \w+\(/.test(line));
  assert.equal(steps.length, 4, res.stderr);
  assert.match(res.stdout, /4 steps by 2 agents/);
  assert.match(res.stdout, /rate 3000 tokens\/s \(flag\)/);
});
