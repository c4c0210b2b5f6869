import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { claimPort, releasePort } from './port-reservation.js';

const dir = () => mkdtempSync(join(tmpdir(), 'kitt-claims-'));

test('a port claimed by another live kitt process is refused; our own claim is kept and released', () => {
  const claims = dir();
  writeFileSync(join(claims, '8081'), String(process.ppid));
  assert.equal(claimPort(8081, claims), false);
  assert.equal(claimPort(8082, claims), true);
  assert.equal(claimPort(8082, claims), true, 'claiming twice in one process is fine');
  releasePort(8082, claims);
  assert.equal(existsSync(join(claims, '8082')), false);
});

test('a claim left by a process that died (kill -9) is taken over', () => {
  const claims = dir();
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  writeFileSync(join(claims, '8000'), dead.stdout);
  assert.equal(claimPort(8000, claims), true);
  releasePort(8000, claims);
});
