import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cosine, HASH_EMBEDDING_DIMS, hashEmbedding, topK } from './hash-embedding.js';

test('the hash embedding is deterministic, unit length, and closer for texts sharing words', () => {
  const a = hashEmbedding('find the cheapest flight to Oslo');
  assert.equal(a.length, HASH_EMBEDDING_DIMS);
  assert.deepEqual(a, hashEmbedding('find the cheapest flight to Oslo'));
  const norm = Math.sqrt(a.reduce((sum, v) => sum + v * v, 0));
  assert.ok(Math.abs(norm - 1) < 1e-6);
  const near = cosine(a, hashEmbedding('search cheapest flight Oslo'));
  const far = cosine(a, hashEmbedding('vegetarian dinner for six people'));
  assert.ok(near > far + 0.3, `near ${near} far ${far}`);
});

test('top-k equals sorting every candidate by cosine (exact reference)', () => {
  const texts = Array.from({ length: 200 }, (_, i) => `memory ${i % 17} about topic ${i % 5} and item ${i}`);
  const candidates = texts.map((text, id) => ({ id, vector: hashEmbedding(text) }));
  const query = hashEmbedding('topic 3 item 42');
  const reference = candidates
    .map((c) => ({ id: c.id, score: cosine(query, c.vector) }))
    .sort((x, y) => y.score - x.score || x.id - y.id)
    .slice(0, 7);
  assert.deepEqual(
    topK(query, candidates, 7).map((c) => ({ id: c.id, score: c.score })),
    reference,
  );
  assert.deepEqual(topK(query, candidates, 0), []);
});
