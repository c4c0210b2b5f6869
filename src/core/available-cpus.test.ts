import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { availableCpus, countCpuList } from './available-cpus.js';

/** A folder laid out like / holding only the given files. */
function fakeRoot(t: TestContext, files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'kitt-cpus-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

test('with no cgroup limit and no affinity file the scheduler parallelism is the answer', (t) => {
  assert.equal(availableCpus({ root: fakeRoot(t, {}), parallelism: 8 }), 8);
});

test('a cgroup v2 quota of 1.5 CPUs gives 1', (t) => {
  const root = fakeRoot(t, {
    'proc/self/cgroup': '0::/kitt.slice\n',
    'sys/fs/cgroup/cgroup.controllers': 'cpu memory',
    'sys/fs/cgroup/kitt.slice/cpu.max': '150000 100000',
  });
  assert.equal(availableCpus({ root, parallelism: 8 }), 1);
});

test('a parent cgroup v2 quota binds a child that has none', (t) => {
  const root = fakeRoot(t, {
    'proc/self/cgroup': '0::/kitt.slice/run.scope\n',
    'sys/fs/cgroup/kitt.slice/cpu.max': '300000 100000',
    'sys/fs/cgroup/kitt.slice/run.scope/cpu.max': 'max 100000',
  });
  assert.equal(availableCpus({ root, parallelism: 8 }), 3);
});

test('inside a container the cgroup v2 quota at the mount root counts', (t) => {
  const root = fakeRoot(t, {
    'proc/self/cgroup': '0::/docker/abc123\n',
    'sys/fs/cgroup/cpu.max': '200000 100000',
  });
  assert.equal(availableCpus({ root, parallelism: 16 }), 2);
});

test('a cgroup v1 CFS quota limits and -1 means no limit', (t) => {
  const limited = fakeRoot(t, {
    'proc/self/cgroup': '2:cpu,cpuacct:/job\n',
    'sys/fs/cgroup/cpu,cpuacct/job/cpu.cfs_quota_us': '250000',
    'sys/fs/cgroup/cpu,cpuacct/job/cpu.cfs_period_us': '100000',
  });
  assert.equal(availableCpus({ root: limited, parallelism: 8 }), 2);
  const unlimited = fakeRoot(t, {
    'proc/self/cgroup': '1:cpu:/\n',
    'sys/fs/cgroup/cpu/cpu.cfs_quota_us': '-1',
    'sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000',
  });
  assert.equal(availableCpus({ root: unlimited, parallelism: 8 }), 8);
});

test('the affinity mask limits when it is the tightest', (t) => {
  const root = fakeRoot(t, {
    'proc/self/status': 'Name:\tnode\nCpus_allowed:\t0f\nCpus_allowed_list:\t0-1,4\n',
    'sys/fs/cgroup/cpu.max': '800000 100000',
  });
  assert.equal(availableCpus({ root, parallelism: 16 }), 3);
});

test('a quota below one CPU still gives one thread', (t) => {
  const root = fakeRoot(t, { 'sys/fs/cgroup/cpu.max': '20000 100000' });
  assert.equal(availableCpus({ root, parallelism: 4 }), 1);
});

test('this machine reports between 1 and its parallelism', () => {
  const cpus = availableCpus();
  assert.ok(cpus >= 1 && Number.isInteger(cpus));
});

test('cpu lists count ranges and singles, and reject garbage', () => {
  assert.equal(countCpuList('0-3,8,10-11'), 7);
  assert.equal(countCpuList('5'), 1);
  assert.equal(countCpuList('3-1'), undefined);
  assert.equal(countCpuList('abc'), undefined);
});
