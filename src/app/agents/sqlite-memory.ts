import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { topK } from '../../agents/hash-embedding.js';
import type { MemoryEntry, MemoryScope, MemoryStore } from '../../agents/memory-store.js';
import { KittError } from '../../core/errors.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS memories (
  id INTEGER PRIMARY KEY,
  scenario TEXT NOT NULL,
  agent INTEGER NOT NULL,
  run_id TEXT NOT NULL,
  step INTEGER NOT NULL,
  text TEXT NOT NULL,
  embedder TEXT NOT NULL,
  dims INTEGER NOT NULL,
  vector BLOB NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS memories_scope ON memories (scenario, agent, embedder);
`;

/**
 * The embedded memory: one SQLite file (KITT_HOME/agents/memory.db) through better-sqlite3, vectors
 * as float32 BLOBs, recall by brute-force cosine over the scope's rows. No vector index: sqlite-vec
 * is not built here, and an agent holds hundreds to a few thousand memories, which a scan reads in
 * a few milliseconds. WAL with synchronous=NORMAL: each memory is its own transaction, so a
 * process killed mid-write (kill -9) loses at most the write in flight and never the file; a
 * power cut may lose the last transactions but not the database.
 */
export function openSqliteMemory(path: string): MemoryStore {
  let db: Database.Database;
  try {
    mkdirSync(dirname(path), { recursive: true });
    db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    db.exec(SCHEMA);
  } catch (error) {
    throw new KittError('STORE_FAILED', `cannot open the agents' memory at ${path}: ${(error as Error).message}`, {
      hint: 'make KITT_HOME writable, or point memory.url at a Qdrant server',
      cause: error,
    });
  }
  const insert = db.prepare(
    'INSERT INTO memories (scenario, agent, run_id, step, text, embedder, dims, vector, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const select = db.prepare<[string, number, string], { text: string; vector: Buffer }>(
    'SELECT text, vector FROM memories WHERE scenario = ? AND agent = ? AND embedder = ? ORDER BY id',
  );
  const countRows = db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM memories WHERE scenario = ?');
  const remove = db.prepare('DELETE FROM memories WHERE scenario = ?');
  return {
    kind: 'sqlite',
    location: path,
    async recall(scope: MemoryScope, vector: Float32Array, embedder: string, k: number) {
      const rows = select.iterate(scope.scenario, scope.agent, embedder);
      const candidates = (function* () {
        for (const row of rows) yield { text: row.text, vector: vectorOf(row.vector) };
      })();
      return topK(vector, candidates, k).map(({ text, score }) => ({ text, score }));
    },
    async remember(scope: MemoryScope, entry: MemoryEntry) {
      const blob = Buffer.from(entry.vector.buffer, entry.vector.byteOffset, entry.vector.byteLength);
      insert.run(
        scope.scenario,
        scope.agent,
        entry.runId,
        entry.step,
        entry.text,
        entry.embedder,
        entry.vector.length,
        blob,
        new Date().toISOString(),
      );
    },
    async count(scenario: string) {
      return countRows.get(scenario)?.n ?? 0;
    },
    async reset(scenario: string) {
      return remove.run(scenario).changes;
    },
    async close() {
      if (db.open) db.close();
    },
  };
}

/** A BLOB back to float32s (copied: SQLite's buffer need not be 4-byte aligned). */
function vectorOf(blob: Buffer): Float32Array {
  const copy = new Uint8Array(blob.byteLength);
  copy.set(blob);
  return new Float32Array(copy.buffer);
}
