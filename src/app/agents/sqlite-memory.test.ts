import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { HASH_EMBEDDING_NAME, hashEmbedding } from '../../agents/hash-embedding.js';
import { openSqliteMemory } from './sqlite-memory.js';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'kitt-memory-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const entry = (step: number, text: string, embedder = HASH_EMBEDDING_NAME) => ({
  runId: 'r1',
  step,
  text,
  vector: hashEmbedding(text),
  embedder,
});

test('recall is top-k by cosine among the agent’s own memories of the same embedder; reset forgets a scenario', async (t) => {
  const path = join(tempDir(t), 'agents', 'memory.db');
  const memory = openSqliteMemory(path);
  const scope = { scenario: 'desk', agent: 1 };
  await memory.remember(scope, entry(0, 'searched cheap flights to Oslo'));
  await memory.remember(scope, entry(1, 'planned a vegetarian dinner'));
  await memory.remember(scope, entry(2, 'read the Oslo flight timetable'));
  await memory.remember({ scenario: 'desk', agent: 2 }, entry(0, 'Oslo flights Oslo flights'));
  await memory.remember(scope, entry(3, 'Oslo flights', 'engine:other-model'));
  await memory.remember({ scenario: 'other', agent: 1 }, entry(0, 'Oslo flights'));
  const recalled = await memory.recall(scope, hashEmbedding('Oslo flights'), HASH_EMBEDDING_NAME, 2);
  assert.deepEqual(
    recalled.map((m) => m.text),
    ['searched cheap flights to Oslo', 'read the Oslo flight timetable'],
  );
  assert.ok(recalled[0]!.score >= recalled[1]!.score && recalled[1]!.score > 0);
  assert.equal(await memory.count('desk'), 5);
  assert.equal(await memory.reset('desk'), 5);
  assert.equal(await memory.count('desk'), 0);
  assert.equal(await memory.count('other'), 1);
  await memory.close();
  const db = new Database(path, { readonly: true });
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  db.close();
});

/** Writes memories as fast as it can and prints the count of each committed one. */
const WRITER = (modulePath: string) => `
import { openSqliteMemory } from ${JSON.stringify(modulePath)};
const memory = openSqliteMemory(process.argv[2]);
const vector = new Float32Array(256).map((_, i) => Math.sin(i));
for (let step = 0; ; step++) {
  await memory.remember({ scenario: 'crash', agent: 1 }, { runId: 'r', step, text: 'memory ' + step + ' ' + 'x'.repeat(2000), vector, embedder: 'kitt-hash-256' });
  process.stdout.write('wrote ' + (step + 1) + '\\n');
}
`;

test('the memory file survives a kill -9 of a process writing to it: every acknowledged memory is kept', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'memory.db');
  const script = join(dir, 'write-memories.mts');
  writeFileSync(script, WRITER(new URL('./sqlite-memory.ts', import.meta.url).href));
  const child = spawn(process.execPath, ['--import', 'tsx', script, path], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let acknowledged = 0;
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the writer exited (${code}) before the kill: ${stderr}`)));
    child.stdout.on('data', (chunk: Buffer) => {
      const counts = [...chunk.toString().matchAll(/wrote (\d+)/g)].map((m) => Number(m[1]));
      acknowledged = Math.max(acknowledged, ...counts);
      // mid-stream: hundreds of commits in, with the next write under way
      if (acknowledged >= 300) resolve();
    });
  });
  child.removeAllListeners('exit');
  const killed = new Promise<NodeJS.Signals | null>((resolve) =>
    child.once('exit', (_code, signal) => resolve(signal)),
  );
  child.kill('SIGKILL');
  assert.equal(await killed, 'SIGKILL');
  const db = new Database(path);
  assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
  const kept = (db.prepare("SELECT count(*) AS n FROM memories WHERE scenario = 'crash'").get() as { n: number }).n;
  const steps = db.prepare('SELECT step FROM memories ORDER BY id').all() as Array<{ step: number }>;
  db.close();
  assert.ok(kept >= acknowledged, `kept ${kept} of ${acknowledged} acknowledged`);
  assert.deepEqual(
    steps.map((s) => s.step),
    Array.from({ length: kept }, (_, i) => i),
    'no memory torn or skipped',
  );
  const reopened = openSqliteMemory(path);
  const recalled = await reopened.recall(
    { scenario: 'crash', agent: 1 },
    new Float32Array(256).map((_, i) => Math.sin(i)),
    'kitt-hash-256',
    1,
  );
  assert.equal(recalled.length, 1);
  await reopened.close();
});
