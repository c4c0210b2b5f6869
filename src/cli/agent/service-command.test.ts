import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type TestContext, test } from 'node:test';
import { freePort } from '../../testing/free-port.js';
import { cleanEnv, exitOf, tempHome } from '../../testing/kitt-cli.js';

const AGENT_ENTRY = resolve(import.meta.dirname, '..', 'agent-entry.ts');
const TOKEN = 'kitt_w_0123456789abcdef';

function agent(args: readonly string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), AGENT_ENTRY, ...args], {
    env: cleanEnv(env),
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function install(t: TestContext, extra: readonly string[] = [], env: Record<string, string> = {}) {
  const dir = tempHome(t, 'kitt-units-');
  const args = ['service', 'install', '--server', 'http://kitt.example.com:8080', '--unit-dir', dir];
  return { dir, ...agent([...args, '--home', join(dir, 'home'), ...extra], env) };
}

const systemdAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0;

test('install writes the unit (0644) and the token file (0600); the token is in neither the unit nor the output', (t) => {
  const { dir, code, stdout, stderr } = install(t, ['--user', 'nobody'], { KITT_SERVER_TOKEN: TOKEN });
  assert.equal(code, 0, stderr);
  const unitPath = join(dir, 'kitt-agent.service');
  const envPath = join(dir, 'kitt-agent.env');
  assert.equal(statSync(unitPath).mode & 0o777, 0o644);
  assert.equal(statSync(envPath).mode & 0o777, 0o600);
  const unit = readFileSync(unitPath, 'utf8');
  assert.equal(readFileSync(envPath, 'utf8'), `KITT_SERVER_TOKEN="${TOKEN}"\n`);
  for (const text of [unit, stdout, stderr]) assert.ok(!text.includes(TOKEN), 'the token leaked');
  assert.match(unit, new RegExp(`^EnvironmentFile=${envPath}$`, 'm'));
  assert.match(unit, new RegExp(`^Environment=KITT_HOME=${join(dir, 'home')}$`, 'm'));
  // this very install: its node, its loader (tsx from source) and its entry
  assert.ok(unit.includes(`ExecStart=${process.execPath} `));
  assert.ok(unit.includes(` ${AGENT_ENTRY} run --server http://kitt.example.com:8080 --home ${join(dir, 'home')}\n`));
  assert.match(unit, /^User=nobody$/m);
  assert.equal(
    stdout.trim().split('\n').at(-1),
    'systemctl daemon-reload && systemctl enable --now kitt-agent.service',
  );
});

test('systemd-analyze verify accepts the unit install wrote', {
  skip: !systemdAnalyze && 'no systemd-analyze',
}, (t) => {
  const { dir, code, stderr } = install(t, ['--user', 'root'], { KITT_SERVER_TOKEN: TOKEN });
  assert.equal(code, 0, stderr);
  const verified = spawnSync('systemd-analyze', ['verify', join(dir, 'kitt-agent.service')], { encoding: 'utf8' });
  // verify exits 0 on settings it ignores, so its warnings count as failures too
  assert.equal(verified.status, 0, verified.stderr);
  assert.equal(`${verified.stdout}${verified.stderr}`.trim(), '');
});

test("the unit's command, with its environment and token file, runs the agent; SIGTERM stops it with exit 0", async (t) => {
  // no server listens there: the agent, holding its token, waits for one with backoff
  const server = `http://127.0.0.1:${await freePort()}`;
  const dir = tempHome(t, 'kitt-units-');
  const installed = agent(['service', 'install', '--server', server, '--unit-dir', dir, '--home', join(dir, 'home')], {
    KITT_SERVER_TOKEN: TOKEN,
  });
  assert.equal(installed.code, 0, installed.stderr);
  const unit = readFileSync(join(dir, 'kitt-agent.service'), 'utf8');
  const setting = (key: string) => new RegExp(`^${key}=(.*)$`, 'm').exec(unit)?.[1] ?? '';
  // what systemd does with these three lines, for paths without spaces or quotes
  const [program, ...args] = setting('ExecStart').split(' ');
  const [homeKey, home] = setting('Environment').split(/=(.*)/s);
  const [tokenKey, quoted] = readFileSync(setting('EnvironmentFile'), 'utf8').trim().split(/=(.*)/s);
  const child = spawn(program!, args, {
    env: cleanEnv({ [homeKey!]: home!, [tokenKey!]: JSON.parse(quoted!) }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => child.kill('SIGKILL'));
  let output = '';
  child.stderr.on('data', (chunk) => {
    output += chunk;
  });
  const waiting = await new Promise<boolean>((done) => {
    const timer = setTimeout(() => done(false), 60_000);
    child.stderr.on('data', () => {
      if (!/kitt server unreachable .*; retrying/.test(output)) return;
      clearTimeout(timer);
      done(true);
    });
  });
  assert.ok(waiting, output);
  child.kill('SIGTERM');
  assert.deepEqual(await exitOf(child), { code: 0, signal: null }, output);
  assert.match(output, /stopped after 0 jobs/);
  assert.ok(!output.includes(TOKEN));
});

test('without the token variable install keeps an existing 0600 file, or says how to create one', (t) => {
  const { dir, code, stdout } = install(t);
  assert.equal(code, 0);
  assert.ok(!existsSync(join(dir, 'kitt-agent.env')));
  assert.match(stdout, /KITT_SERVER_TOKEN is not set: before enabling, create .*kitt-agent\.env \(mode 0600\)/);
  writeFileSync(join(dir, 'kitt-agent.env'), 'KITT_SERVER_TOKEN=x\n', { mode: 0o600 });
  const again = agent(['service', 'install', '--server', 'http://kitt.example.com:8080', '--unit-dir', dir]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /kept .*kitt-agent\.env/);
  writeFileSync(join(dir, 'other.env'), 'KITT_SERVER_TOKEN=x\n', { mode: 0o644 });
  const open = agent(['service', 'install', '--server', 'http://a:1', '--unit-dir', dir, '--name', 'other']);
  assert.equal(open.code, 4);
  assert.match(open.stderr, /^error: .*other\.env is readable by others \(mode 644\) \(chmod 600 .*\)\n$/);
});

test('--dry-run prints the unit and writes nothing', (t) => {
  const { dir, code, stdout } = install(t, ['--dry-run', '--name', 'kitt-agent-gpu0'], { KITT_SERVER_TOKEN: TOKEN });
  assert.equal(code, 0);
  assert.match(stdout, /^# Written by kitt-agent service install/);
  assert.match(stdout, /^TimeoutStopSec=3600$/m);
  assert.ok(!stdout.includes(TOKEN));
  assert.ok(!existsSync(join(dir, 'kitt-agent-gpu0.service')));
});

test('uninstall removes the unit, its enablement link and the token file it names', (t) => {
  const dir = tempHome(t, 'kitt-units-');
  const envFile = join(dir, 'tokens', 'agent.env');
  // the token file given at install is found in the unit at uninstall
  const installed = agent(
    [
      'service',
      'install',
      '--server',
      'http://kitt.example.com:8080',
      '--unit-dir',
      dir,
      '--home',
      dir,
      '--token-file',
      envFile,
    ],
    { KITT_SERVER_TOKEN: TOKEN },
  );
  assert.equal(installed.code, 0, installed.stderr);
  assert.ok(existsSync(envFile));
  mkdirSync(join(dir, 'multi-user.target.wants'));
  symlinkSync(join(dir, 'kitt-agent.service'), join(dir, 'multi-user.target.wants', 'kitt-agent.service'));
  const removed = agent(['service', 'uninstall', '--unit-dir', dir]);
  assert.equal(removed.code, 0, removed.stderr);
  assert.ok(!existsSync(join(dir, 'kitt-agent.service')));
  assert.ok(!existsSync(envFile));
  assert.ok(!existsSync(join(dir, 'multi-user.target.wants', 'kitt-agent.service')));
  assert.match(removed.stdout, /systemctl stop kitt-agent\.service; systemctl daemon-reload\n$/);
  assert.match(agent(['service', 'uninstall', '--unit-dir', dir]).stdout, /^nothing to remove/);
});

test('uninstall leaves a unit kitt-agent did not write', (t) => {
  const dir = tempHome(t, 'kitt-units-');
  writeFileSync(join(dir, 'kitt-agent.service'), '[Service]\nExecStart=/bin/true\n');
  const refused = agent(['service', 'uninstall', '--unit-dir', dir]);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /not written by kitt-agent service install/);
  assert.ok(existsSync(join(dir, 'kitt-agent.service')));
});

test('bad input is one line naming the fix and a non-zero exit', (t) => {
  const dir = tempHome(t, 'kitt-units-');
  writeFileSync(join(dir, 'a-file'), '');
  const cases: Array<[string[], number, RegExp]> = [
    [['service', 'install', '--unit-dir', dir], 2, /--server is missing \(give kitt server's address/],
    [['service', 'install', '--server', 'ftp://x', '--unit-dir', dir], 2, /not an http:\/\/ or https:\/\/ URL/],
    [
      ['service', 'install', '--server', 'http://x', '--unit-dir', join(dir, 'a-file', 'units')],
      4,
      /cannot write to .*a-file\/units \(run it as root .*--unit-dir/,
    ],
    [
      ['service', 'install', '--server', 'http://x', '--unit-dir', dir, '--name', 'a b'],
      2,
      /--name "a b" is not a unit name/,
    ],
    [
      ['service', 'install', '--server', 'http://x', '--unit-dir', dir, '--stop-timeout', 'soon'],
      2,
      /"soon" is not a duration/,
    ],
    [['service', 'install', '--server', 'http://x', '--unit-dir', dir, '--user', 'someone-else'], 2, /pass --home/],
  ];
  for (const [args, exit, pattern] of cases) {
    const result = agent(args, { KITT_SERVER_TOKEN: TOKEN });
    assert.equal(result.code, exit, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, /^error: [^\n]+\n$/, result.stderr);
    assert.match(result.stderr, pattern);
    assert.ok(!result.stderr.includes(TOKEN));
  }
});
