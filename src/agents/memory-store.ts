import type { RecalledMemory } from './agent-loop.js';

/** Whose memories: an agent of a scenario. Runs of the same scenario share them. */
export interface MemoryScope {
  readonly scenario: string;
  /** 1-based agent number. */
  readonly agent: number;
}

/** One memory as written: the step's text and its embedding, with the embedder that made it. */
export interface MemoryEntry {
  readonly runId: string;
  readonly step: number;
  readonly text: string;
  readonly vector: Float32Array;
  /** e.g. `kitt-hash-256` or `engine:<model>`: vectors of different embedders are never compared. */
  readonly embedder: string;
}

/**
 * Where agents keep their memories: the embedded SQLite file by default, Qdrant when memory.url
 * is set. Recall is top-k by cosine among the scope's memories made by the same embedder.
 */
export interface MemoryStore {
  readonly kind: 'sqlite' | 'qdrant';
  /** The file, or the URL without credentials. */
  readonly location: string;
  recall(scope: MemoryScope, vector: Float32Array, embedder: string, k: number): Promise<RecalledMemory[]>;
  remember(scope: MemoryScope, entry: MemoryEntry): Promise<void>;
  /** Memories of a scenario, all agents. */
  count(scenario: string): Promise<number>;
  /** Forgets a scenario's memories (`--reset-memory`); answers how many went. */
  reset(scenario: string): Promise<number>;
  close(): Promise<void>;
}
