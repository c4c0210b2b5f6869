import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KittError } from '../core/errors.js';
import { ownContainerIdFromMountinfo, translateToHostPath } from './host-path.js';

const id = 'a'.repeat(64);

test("kitt's own container id is read from the hostname bind mount", () => {
  const mountinfo = [
    '600 550 0:50 / / rw,relatime master:1 - overlay overlay rw',
    `611 600 254:1 /var/lib/docker/containers/${id}/hostname /etc/hostname rw,relatime - ext4 /dev/vda1 rw`,
  ].join('\n');
  assert.equal(ownContainerIdFromMountinfo(mountinfo), id);
  assert.equal(ownContainerIdFromMountinfo('22 27 0:21 / /proc rw - proc proc rw'), undefined);
});

test('a model under a mount is handed to the daemon as its host path (the README bug)', () => {
  const mounts = [
    { source: '/srv/models', destination: '/models' },
    { source: '/srv/fast', destination: '/models/fast' },
  ];
  assert.equal(translateToHostPath('/models/llama-7b', mounts), '/srv/models/llama-7b');
  assert.equal(translateToHostPath('/models/fast/x.gguf', mounts), '/srv/fast/x.gguf');
  assert.equal(translateToHostPath('/models', mounts), '/srv/models');
  assert.throws(
    () => translateToHostPath('/modelsx/a', mounts),
    (e: unknown) => e instanceof KittError && /-v HOST_DIR:HOST_DIR/.test(e.hint ?? ''),
  );
});
