/**
 * kitt's deterministic hash embedding, for engines that serve no `/v1/embeddings`: feature hashing
 * of lower-cased words and word pairs into `HASH_EMBEDDING_DIMS` signed buckets, L2-normalised.
 * Texts that share words get a positive cosine, so recall finds related memories; it is no
 * semantic model, and results name it (`kitt-hash-256`) so no one reads it as one.
 */
export const HASH_EMBEDDING_DIMS = 256;
export const HASH_EMBEDDING_NAME = `kitt-hash-${HASH_EMBEDDING_DIMS}`;

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash;
}

export function hashEmbedding(text: string, dims = HASH_EMBEDDING_DIMS): Float32Array {
  const vector = new Float32Array(dims);
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  const features = [...words, ...words.slice(1).map((word, i) => `${words[i]} ${word}`)];
  for (const feature of features) {
    const hash = fnv1a(feature);
    // the top bit signs the feature, so unrelated words cancel instead of piling up
    vector[hash % dims]! += hash & 0x80000000 ? -1 : 1;
  }
  return normalize(vector);
}

/** The vector scaled to length 1 (the zero vector stays zero). */
export function normalize(vector: Float32Array): Float32Array {
  let norm = 0;
  for (const value of vector) norm += value * value;
  if (norm === 0) return vector;
  const scale = 1 / Math.sqrt(norm);
  for (let i = 0; i < vector.length; i++) vector[i]! *= scale;
  return vector;
}

/** Cosine similarity; 0 when either vector is zero or their lengths differ. */
export function cosine(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return 0;
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

/**
 * The k best by cosine, best first, over every candidate (brute force: an agent holds a few
 * thousand memories at most, and a scan of 10,000 256-dimension vectors takes about 3 ms).
 * Ties keep the candidates' order.
 */
export function topK<T extends { readonly vector: Float32Array }>(
  query: Float32Array,
  candidates: Iterable<T>,
  k: number,
): Array<T & { readonly score: number }> {
  if (k <= 0) return [];
  const best: Array<T & { readonly score: number }> = [];
  for (const candidate of candidates) {
    const score = cosine(query, candidate.vector);
    if (best.length === k && score <= best[k - 1]!.score) continue;
    let at = best.length;
    while (at > 0 && best[at - 1]!.score < score) at--;
    best.splice(at, 0, { ...candidate, score });
    if (best.length > k) best.pop();
  }
  return best;
}
