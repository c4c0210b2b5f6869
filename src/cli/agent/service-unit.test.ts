import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KittError } from '../../core/errors.js';
import { loaderFlags } from './service-plan.js';
import {
  buildServiceUnit,
  envFileOfUnit,
  environmentLine,
  quoteArgument,
  type ServiceUnitSpec,
  UNIT_MARKER,
} from './service-unit.js';

const spec: ServiceUnitSpec = {
  server: 'http://kitt.example.com:8080',
  home: '/data/kitt',
  user: 'bench',
  envFile: '/etc/kitt/kitt-agent.env',
  command: ['/usr/bin/node', '/opt/kitt/dist/cli/agent-entry.js'],
  tokenEnv: 'KITT_SERVER_TOKEN',
  defaultTokenEnv: 'KITT_SERVER_TOKEN',
  stopTimeoutS: 3600,
};

/** The unit's settings as key → values, in order. */
function settings(unit: string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const line of unit.split('\n')) {
    const at = line.indexOf('=');
    if (at < 0 || line.startsWith('#')) continue;
    found.set(line.slice(0, at), [...(found.get(line.slice(0, at)) ?? []), line.slice(at + 1)]);
  }
  return found;
}

test('the unit runs this install of kitt-agent run as the user, restarts it on failure and drains it on stop', () => {
  const unit = buildServiceUnit(spec);
  const set = settings(unit);
  assert.ok(unit.startsWith(`${UNIT_MARKER}\n[Unit]\n`));
  assert.deepEqual(set.get('ExecStart'), [
    '/usr/bin/node /opt/kitt/dist/cli/agent-entry.js run --server http://kitt.example.com:8080 --home /data/kitt',
  ]);
  assert.deepEqual(set.get('User'), ['bench']);
  assert.deepEqual(set.get('Environment'), ['KITT_HOME=/data/kitt']);
  assert.deepEqual(set.get('EnvironmentFile'), ['/etc/kitt/kitt-agent.env']);
  assert.deepEqual(set.get('After'), ['network-online.target docker.service']);
  assert.deepEqual(set.get('Wants'), ['network-online.target']);
  assert.deepEqual(set.get('Restart'), ['on-failure']);
  assert.deepEqual(set.get('RestartPreventExitStatus'), ['2']);
  assert.deepEqual(set.get('KillSignal'), ['SIGTERM']);
  // SIGTERM to the agent alone: the engine of the cell it finishes must not be killed with it
  assert.deepEqual(set.get('KillMode'), ['mixed']);
  assert.deepEqual(set.get('TimeoutStopSec'), ['3600']);
  assert.deepEqual(set.get('WantedBy'), ['multi-user.target']);
  assert.equal(envFileOfUnit(unit), '/etc/kitt/kitt-agent.env');
});

test('a config file and a token variable of its own are passed to kitt-agent run', () => {
  const set = settings(
    buildServiceUnit({ ...spec, config: '/data/kitt/fleet.yaml', tokenEnv: 'FLEET_TOKEN', stopTimeoutS: 90.5 }),
  );
  assert.match(set.get('ExecStart')?.[0] ?? '', / --config \/data\/kitt\/fleet\.yaml --token-env FLEET_TOKEN$/);
  assert.deepEqual(set.get('TimeoutStopSec'), ['91']);
});

test('paths with spaces, % and $ reach the agent unchanged: quoted, specifiers and variables doubled', () => {
  const unit = buildServiceUnit({ ...spec, home: '/data/my kitt/50%$HOME', envFile: '/etc/kitt/a%b.env' });
  const set = settings(unit);
  assert.deepEqual(set.get('Environment'), ['"KITT_HOME=/data/my kitt/50%%$HOME"']);
  assert.match(set.get('ExecStart')?.[0] ?? '', / --home "\/data\/my kitt\/50%%\$\$HOME"$/);
  assert.deepEqual(set.get('EnvironmentFile'), ['/etc/kitt/a%%b.env']);
  assert.equal(envFileOfUnit(unit), '/etc/kitt/a%b.env');
  assert.equal(quoteArgument('say "hi" \\ ;'), '"say \\"hi\\" \\\\ ;"');
});

test('a value that would break the unit is refused with the flag to fix', () => {
  const refused = (change: Partial<ServiceUnitSpec>, pattern: RegExp) =>
    assert.throws(
      () => buildServiceUnit({ ...spec, ...change }),
      (error) => error instanceof KittError && error.code === 'USAGE' && pattern.test(`${error.message} ${error.hint}`),
    );
  refused({ home: '/data/kitt\nExecStartPre=/bin/rm' }, /line break/);
  refused({ user: 'bench; rm' }, /--user/);
  refused({ envFile: '/etc/my kitt/a.env' }, /--token-file/);
  refused({ server: 'http://bob:pw@kitt.example.com' }, /credentials/);
});

test('the token line is double-quoted with its quotes and backslashes escaped; a line break is refused', () => {
  assert.equal(environmentLine('KITT_SERVER_TOKEN', 'kitt_abc123'), 'KITT_SERVER_TOKEN="kitt_abc123"\n');
  assert.equal(environmentLine('T', 'a"b\\c$d'), 'T="a\\"b\\\\c$d"\n');
  assert.throws(() => environmentLine('T', 'a\nB=c'), /line break/);
});

test('a unit not written by kitt-agent names no environment file to remove', () => {
  assert.equal(envFileOfUnit('[Service]\nEnvironmentFile=/etc/environment\n'), undefined);
});

test("node's loader flags are kept for the unit, its debugging flags are not", () => {
  assert.deepEqual(
    loaderFlags([
      '--inspect',
      '--require',
      '/x/preflight.cjs',
      '--import=file:///x/loader.mjs',
      '--max-old-space-size=4096',
    ]),
    ['--require', '/x/preflight.cjs', '--import=file:///x/loader.mjs'],
  );
});
