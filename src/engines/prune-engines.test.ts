import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { test } from 'node:test';
import type { ContainerRef, ContainerRuntime, ManagedContainer } from '../runtime/container-runtime.js';
import { currentOwner, formatOwner } from '../runtime/owner.js';
import { pruneEngines } from './prune-engines.js';

const alive = formatOwner(currentOwner());
// a pid above the kernel's pid_max never runs, so this owner is gone
const dead = `ghost@${hostname()}:4194305:1`;

function container(name: string, state: ManagedContainer['state'], owner: string): ManagedContainer {
  return {
    id: name,
    name,
    image: 'kitt/llama-server:cpu',
    state,
    createdAt: 0,
    labels: { 'kitt.managed': 'true', 'kitt.owner': owner },
  };
}

/** The daemon's kitt-labelled containers, as listManaged reports them; records what was removed. */
function daemonWith(containers: ManagedContainer[]): { runtime: ContainerRuntime; removed: string[] } {
  const removed: string[] = [];
  const runtime = {
    listManaged: async () => containers.filter((c) => !removed.includes(c.id)),
    stop: async () => undefined,
    remove: async (ref: ContainerRef) => {
      removed.push(ref.id);
    },
  } as unknown as ContainerRuntime;
  return { runtime, removed };
}

const fleet = () => [
  container('running-live', 'running', alive),
  container('exited-live', 'exited', alive),
  container('running-orphan', 'running', dead),
];

test('prune removes stopped kitt containers and orphans, and keeps runs in progress', async () => {
  const { runtime, removed } = daemonWith(fleet());
  const result = await pruneEngines(runtime);
  assert.deepEqual(removed.sort(), ['exited-live', 'running-orphan']);
  assert.deepEqual(
    result.kept.map((c) => c.name),
    ['running-live'],
  );
  assert.equal(result.removed.length, 2);
});

test('prune --all removes every kitt container', async () => {
  const { runtime, removed } = daemonWith(fleet());
  await pruneEngines(runtime, { all: true });
  assert.deepEqual(removed.sort(), ['exited-live', 'running-live', 'running-orphan']);
});
