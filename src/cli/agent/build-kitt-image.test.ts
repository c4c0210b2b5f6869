import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { KittError } from '../../core/errors.js';
import { shortId } from '../../core/ids.js';
import { skipUnlessDocker } from '../../testing/docker-gate.js';
import { RecordingProgress } from '../../testing/recording-progress.js';
import { buildKittImage } from './build-kitt-image.js';

const run = promisify(execFile);

function tinyContext(dockerfile: string): string {
  const root = mkdtempSync(join(tmpdir(), 'kitt-build-'));
  writeFileSync(join(root, 'Dockerfile'), dockerfile);
  writeFileSync(join(root, '.dockerignore'), 'secret.txt\n');
  writeFileSync(join(root, 'keep.txt'), 'kept\n');
  writeFileSync(join(root, 'secret.txt'), 'never sent\n');
  return root;
}

test('builds and tags an image through the Engine API, honouring .dockerignore, for the host architecture', async (t) => {
  if (await skipUnlessDocker(t)) return;
  const root = tinyContext('FROM scratch\nCOPY . /ctx/\n');
  const tag = `kitt-test-build:${shortId(6).toLowerCase()}`;
  const docker = new Docker();
  t.after(async () => {
    rmSync(root, { recursive: true, force: true });
    await docker
      .getImage(tag)
      .remove({ force: true })
      .catch(() => {});
  });
  const progress = new RecordingProgress();
  const built = await buildKittImage(docker, {
    contextDir: root,
    dockerfile: 'Dockerfile',
    tag,
    network: 'host',
    noCache: true,
    progress,
  });
  assert.equal(built.tag, tag);
  const info = await docker.version();
  assert.equal(built.architecture, info.Arch);
  assert.ok(
    progress.events.some((e) => /step 2\/2: COPY \. \/ctx\//.test(e)),
    progress.events.join('\n'),
  );
  // what reached the image: the container's /ctx as a tar listing
  const container = await docker.createContainer({ Image: tag, Cmd: ['none'], Labels: { 'kitt.test': 'build' } });
  try {
    const { stdout } = await run('sh', ['-c', `docker cp ${container.id}:/ctx - | tar -t`]);
    const names = stdout.split('\n').filter(Boolean).sort();
    assert.ok(names.includes('ctx/keep.txt'), names.join(','));
    assert.ok(!names.includes('ctx/secret.txt'), names.join(','));
  } finally {
    await container.remove({ force: true });
  }
});

test('a failing step rejects with IMAGE_BUILD_FAILED and the builder message', async (t) => {
  if (await skipUnlessDocker(t)) return;
  const root = tinyContext('FROM scratch\nCOPY missing-file /x\n');
  t.after(() => rmSync(root, { recursive: true, force: true }));
  await assert.rejects(
    buildKittImage(new Docker(), {
      contextDir: root,
      dockerfile: 'Dockerfile',
      tag: `kitt-test-build:fail-${shortId(4).toLowerCase()}`,
      network: 'host',
      noCache: true,
      progress: new RecordingProgress(),
    }),
    (error: unknown) =>
      error instanceof KittError && error.code === 'IMAGE_BUILD_FAILED' && /missing-file/.test(error.message),
  );
});

test('a context without the Dockerfile is a usage error that names --context', async () => {
  const root = mkdtempSync(join(tmpdir(), 'kitt-build-'));
  try {
    await assert.rejects(
      buildKittImage(new Docker(), {
        contextDir: root,
        dockerfile: 'Dockerfile',
        tag: 'x:y',
        network: 'host',
        noCache: false,
        progress: new RecordingProgress(),
      }),
      (error: unknown) => error instanceof KittError && error.code === 'USAGE' && /--context/.test(error.hint ?? ''),
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
