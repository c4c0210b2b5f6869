import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { availableCpus } from './available-cpus.js';
import { countCpuList, readCgroupLimits } from './cgroup-limits.js';

/** A folder laid out like / holding only the given files. */
function fakeRoot(t: TestContext, files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'kitt-cgroup-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

test('cgroup v2 limits come from cpu.max and memory.max, the tightest up the tree', (t) => {
  const root = fakeRoot(t, {
    'proc/self/cgroup': '0::/kitt.slice/run.scope\n',
    'sys/fs/cgroup/cgroup.controllers': 'cpu memory pids',
    'sys/fs/cgroup/kitt.slice/cpu.max': '200000 100000',
    'sys/fs/cgroup/kitt.slice/memory.max': '8589934592',
    'sys/fs/cgroup/kitt.slice/run.scope/cpu.max': '150000 100000',
    'sys/fs/cgroup/kitt.slice/run.scope/memory.max': 'max',
    'sys/fs/cgroup/kitt.slice/run.scope/cpuset.cpus.effective': '0-3',
  });
  assert.deepEqual(readCgroupLimits(root), { version: 2, cpus: 1.5, cpusetCpus: 4, memoryBytes: 8589934592 });
});

test('cgroup v2 without limits reports none', (t) => {
  const root = fakeRoot(t, {
    'proc/self/cgroup': '0::/\n',
    'sys/fs/cgroup/cgroup.controllers': 'cpu memory',
    'sys/fs/cgroup/cpu.max': 'max 100000',
    'sys/fs/cgroup/memory.max': 'max',
  });
  assert.deepEqual(readCgroupLimits(root), {
    version: 2,
    cpus: undefined,
    cpusetCpus: undefined,
    memoryBytes: undefined,
  });
});

test('cgroup v1 inside a Docker container reads the mount root when the host path is absent', (t) => {
  const root = fakeRoot(t, {
    'proc/self/cgroup': '12:cpu,cpuacct:/docker/abc123\n9:memory:/docker/abc123\n3:cpuset:/docker/abc123\n',
    'sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us': '100000',
    'sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us': '100000',
    'sys/fs/cgroup/memory/memory.limit_in_bytes': '2147483648',
    'sys/fs/cgroup/cpuset/cpuset.effective_cpus': '0,2',
  });
  assert.deepEqual(readCgroupLimits(root), { version: 1, cpus: 1, cpusetCpus: 2, memoryBytes: 2147483648 });
});

test('cgroup v1 with no limit reads LONG_MAX as unlimited', (t) => {
  const root = fakeRoot(t, {
    'proc/self/cgroup': '4:memory:/\n1:cpu:/\n',
    'sys/fs/cgroup/cpu/cpu.cfs_quota_us': '-1',
    'sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000',
    'sys/fs/cgroup/memory/memory.limit_in_bytes': '9223372036854771712',
  });
  assert.deepEqual(readCgroupLimits(root), {
    version: 1,
    cpus: undefined,
    cpusetCpus: undefined,
    memoryBytes: undefined,
  });
});

test('cpu lists count ranges and singles, and reject empty lists and garbage', () => {
  assert.equal(countCpuList('0-3,8,10-11'), 7);
  assert.equal(countCpuList('5'), 1);
  assert.equal(countCpuList(''), undefined);
  assert.equal(countCpuList('3-1'), undefined);
  assert.equal(countCpuList('abc'), undefined);
});

test('a process with no cgroup files reports no version and no limits', (t) => {
  assert.deepEqual(readCgroupLimits(fakeRoot(t, {})), {
    version: undefined,
    cpus: undefined,
    cpusetCpus: undefined,
    memoryBytes: undefined,
  });
});

test('inside a container the cgroup v2 quota at the mount root counts', (t) => {
  const root = fakeRoot(t, {
    'proc/self/cgroup': '0::/docker/abc123\n',
    'sys/fs/cgroup/cgroup.controllers': 'cpu memory',
    'sys/fs/cgroup/cpu.max': '200000 100000',
  });
  assert.equal(readCgroupLimits(root).cpus, 2);
});

// availableCpus: the least of parallelism, quota, cpuset and affinity, rounded down, at least 1

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

test('a cgroup v1 CFS quota limits the CPUs', (t) => {
  const root = fakeRoot(t, {
    'proc/self/cgroup': '2:cpu,cpuacct:/job\n',
    'sys/fs/cgroup/cpu,cpuacct/job/cpu.cfs_quota_us': '250000',
    'sys/fs/cgroup/cpu,cpuacct/job/cpu.cfs_period_us': '100000',
  });
  assert.equal(availableCpus({ root, parallelism: 8 }), 2);
});

test('the affinity mask limits when it is the tightest', (t) => {
  const root = fakeRoot(t, {
    'proc/self/status': 'Name:\tnode\nCpus_allowed:\t0f\nCpus_allowed_list:\t0-1,4\n',
    'sys/fs/cgroup/cgroup.controllers': 'cpu memory',
    'sys/fs/cgroup/cpu.max': '800000 100000',
  });
  assert.equal(availableCpus({ root, parallelism: 16 }), 3);
});

test('a cgroup cpuset narrower than quota and parallelism limits', (t) => {
  const root = fakeRoot(t, {
    'proc/self/cgroup': '0::/\n',
    'sys/fs/cgroup/cgroup.controllers': 'cpuset cpu',
    'sys/fs/cgroup/cpu.max': '600000 100000',
    'sys/fs/cgroup/cpuset.cpus.effective': '2-3',
  });
  assert.equal(availableCpus({ root, parallelism: 16 }), 2);
});

test('a quota below one CPU still gives one thread', (t) => {
  const root = fakeRoot(t, {
    'sys/fs/cgroup/cgroup.controllers': 'cpu memory',
    'sys/fs/cgroup/cpu.max': '20000 100000',
  });
  assert.equal(availableCpus({ root, parallelism: 4 }), 1);
});

test('this machine reports between 1 and its parallelism', () => {
  const cpus = availableCpus();
  assert.ok(cpus >= 1 && Number.isInteger(cpus));
});
