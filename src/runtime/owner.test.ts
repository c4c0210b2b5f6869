import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { currentOwner, formatOwner, isOwnerAlive, parseOwner, processStartTime } from './owner.js';

test('the owner label round-trips through format and parse', () => {
  const owner = { user: 'ci-user', host: 'build-7', pid: 4242, startTime: '987654' };
  assert.deepEqual(parseOwner(formatOwner(owner)), owner);
});

test('labels of another shape are not owners (never reaped)', () => {
  assert.equal(parseOwner('root@host'), undefined);
  assert.equal(parseOwner(undefined), undefined);
  assert.equal(parseOwner('root@host:abc:1'), undefined);
});

test('this process is alive; a pid with another start time is not', () => {
  const me = currentOwner();
  assert.ok(isOwnerAlive(me));
  assert.equal(isOwnerAlive({ ...me, startTime: `${me.startTime}0` }), false);
});

test('an exited child is dead by pid and start time; another host is assumed alive', async () => {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 10000)']);
  const owner = { ...currentOwner(), pid: child.pid!, startTime: processStartTime(child.pid!)! };
  assert.ok(isOwnerAlive(owner));
  child.kill('SIGKILL');
  await once(child, 'exit');
  assert.equal(isOwnerAlive(owner), false);
  assert.ok(isOwnerAlive({ ...owner, host: 'some-other-host' }));
});
