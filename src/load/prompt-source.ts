import { readFile } from 'node:fs/promises';
import { KittError } from '../core/errors.js';
import { drawSalt, type LengthSpec, type PromptSpec } from './prompt-spec.js';
import { bustMarker, PROMPT_WORDS, type PreparedPrompt, saltWords } from './request-body.js';
import { type Random, seededRandom, standardNormal } from './seeded-random.js';
import type { CountTokens } from './tokenize-client.js';

/**
 * Prompts prepared before the run starts (so no tokenizer call or file read sits on the measured
 * path). Synthetic prompts are built from common English words that BPE tokenizers keep whole;
 * with the engine's tokenizer the lengths are exact: the words-to-tokens relation is measured once
 * (`tokens = words + offset`, the offset being BOS and friends) and every prompt is checked.
 */
export interface PreparedPrompts {
  readonly prompts: readonly PreparedPrompt[];
  /** True when every inputTokens comes from the engine's tokenizer. */
  readonly exactInputLengths: boolean;
  /** The salt that opens every synthetic prompt (cache busting on); absent otherwise. */
  readonly salt?: string;
  readonly warnings: readonly string[];
}

const WORDS = PROMPT_WORDS;

export function sampleLength(spec: LengthSpec, random: Random): number {
  if (typeof spec === 'number') return spec;
  switch (spec.kind) {
    case 'fixed':
      return spec.value;
    case 'uniform':
      return spec.min + Math.floor(random.next() * (spec.max - spec.min + 1));
    case 'normal': {
      const value = Math.round(spec.mean + spec.std * standardNormal(random));
      return Math.min(spec.max ?? Number.POSITIVE_INFINITY, Math.max(spec.min ?? 1, value));
    }
  }
}

function words(random: Random, count: number): string {
  const out: string[] = new Array(count);
  for (let i = 0; i < count; i++) out[i] = WORDS[Math.floor(random.next() * WORDS.length)]!;
  return out.join(' ');
}

const MARKER_WORDS = 3;

export interface PreparePromptsOptions {
  readonly count: number;
  /** The engine's tokenizer; absent = approximate lengths (one word ≈ one token) and a warning. */
  readonly countTokens?: CountTokens;
}

export async function preparePrompts(spec: PromptSpec, options: PreparePromptsOptions): Promise<PreparedPrompts> {
  return spec.kind === 'synthetic' ? prepareSynthetic(spec, options) : prepareDataset(spec, options);
}

async function prepareSynthetic(
  spec: Extract<PromptSpec, { kind: 'synthetic' }>,
  { count, countTokens }: PreparePromptsOptions,
): Promise<PreparedPrompts> {
  const warnings: string[] = [];
  const random = seededRandom(spec.seed);
  let offset = 0;
  let linear = false;
  if (countTokens) {
    // tokens(k words) = k + offset for our vocabulary if the tokenizer keeps each word whole.
    const probe = seededRandom(spec.seed ^ 0x5eed);
    const a = await countTokens(words(probe, 64));
    const b = await countTokens(words(probe, 128));
    linear = b - a === 64;
    offset = linear ? a - 64 : 0;
  } else {
    warnings.push(
      'no tokenizer endpoint: input lengths are approximate (one word ≈ one token); server usage gives the real counts',
    );
  }
  const prefixes: string[] = [];
  const prefixSpec = spec.sharedPrefix;
  if (prefixSpec) {
    const prefixRandom = seededRandom(spec.seed + 7919);
    for (let g = 0; g < prefixSpec.groups; g++) prefixes.push(words(prefixRandom, prefixSpec.tokens));
  }
  // The salt goes first, before the shared prefix: a group's prompts share salt + prefix within the
  // run, and no prompt of one run opens like a prompt of another.
  const salt = spec.cacheBust ? (spec.salt ?? drawSalt()) : null;
  const prompts: PreparedPrompt[] = [];
  let misses = 0;
  for (let i = 0; i < count; i++) {
    const target = sampleLength(spec.inputTokens, random);
    const maxTokens = sampleLength(spec.outputTokens, random);
    const parts: string[] = [];
    let used = offset;
    if (salt !== null) {
      parts.push(saltWords(salt));
      used += MARKER_WORDS;
    }
    if (prefixSpec) {
      parts.push(prefixes[i % prefixSpec.groups]!);
      used += prefixSpec.tokens;
    }
    if (spec.cacheBust) {
      parts.push(bustMarker(i));
      used += MARKER_WORDS;
    }
    let bodyWords = Math.max(1, target - used);
    let body = words(random, bodyWords);
    let text = [...parts, body].join(' ');
    let inputTokens: number | null = null;
    if (countTokens) {
      // Check every prompt; adjust the body when the tokenizer disagrees (a few calls at most).
      for (let attempt = 0; attempt < 4; attempt++) {
        const counted = await countTokens(text);
        if (counted === target || attempt === 3 || (counted > target && bodyWords === 1)) {
          inputTokens = counted;
          break;
        }
        bodyWords = Math.max(1, bodyWords + (target - counted));
        body = words(seededRandom(spec.seed * 31 + i), bodyWords);
        text = [...parts, body].join(' ');
      }
      if (inputTokens !== target) misses++;
    }
    const head = parts.slice(0, -1).join(' ') + (parts.length > 1 ? ' ' : '');
    prompts.push({ text, inputTokens, maxTokens, ...(spec.cacheBust ? { bust: { head, tail: ` ${body}` } } : {}) });
  }
  if (misses > 0)
    warnings.push(
      `${misses} of ${count} prompts could not be built to their exact input length; their real lengths are recorded`,
    );
  if (countTokens && !linear)
    warnings.push('the tokenizer splits common words: prompt lengths were adjusted one by one');
  return { prompts, exactInputLengths: countTokens !== undefined, ...(salt !== null ? { salt } : {}), warnings };
}

interface DatasetRow {
  readonly prompt: string;
  readonly maxTokens?: number;
  readonly answer?: string;
}

async function prepareDataset(
  spec: Extract<PromptSpec, { kind: 'dataset' }>,
  { count, countTokens }: PreparePromptsOptions,
): Promise<PreparedPrompts> {
  const warnings: string[] = [];
  const rows = await readDataset(spec.path, spec.format);
  const random = seededRandom(spec.seed);
  const order = rows.map((_, i) => i);
  if (spec.shuffle) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random.next() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
  }
  const prompts: PreparedPrompt[] = [];
  for (let i = 0; i < Math.min(count, rows.length); i++) {
    const row = rows[order[i]!]!;
    let maxTokens = row.maxTokens ?? sampleLength(spec.outputTokens, random);
    if (row.maxTokens === undefined && row.answer !== undefined) {
      maxTokens = countTokens ? await countTokens(row.answer) : Math.max(1, row.answer.split(/\s+/).length);
    }
    prompts.push({
      text: row.prompt,
      inputTokens: countTokens ? await countTokens(row.prompt) : null,
      maxTokens: Math.max(1, maxTokens),
    });
  }
  if (rows.length < count)
    warnings.push(
      `the dataset has ${rows.length} prompts for ${count} requests: prompts repeat (prefix caches may answer repeats)`,
    );
  if (!countTokens) warnings.push('no tokenizer endpoint: dataset input lengths are taken from server usage only');
  return { prompts, exactInputLengths: countTokens !== undefined, warnings };
}

/**
 * Checks, before anything starts, that the prompts can be prepared: a dataset is read and parsed
 * here as it will be for the run, so a bad file fails before an engine is started. The error the
 * run would meet (DATASET_INVALID naming the line), or null.
 */
export async function checkDataset(path: string, format: 'jsonl' | 'sharegpt'): Promise<KittError | null> {
  try {
    await readDataset(path, format);
    return null;
  } catch (error) {
    if (error instanceof KittError) return error;
    throw error;
  }
}

function invalid(path: string, where: string, message: string): KittError {
  return new KittError('DATASET_INVALID', `${path}${where}: ${message}`, {
    hint: 'each JSONL line must be an object with a "prompt" string (and optional "max_tokens"); ShareGPT rows need "conversations" with a human turn',
  });
}

/** Reads JSONL ({"prompt", "max_tokens"?} per line, or ShareGPT rows per line) or a ShareGPT JSON array. */
export async function readDataset(path: string, format: 'jsonl' | 'sharegpt'): Promise<DatasetRow[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new KittError('DATASET_INVALID', `cannot read dataset ${path}: ${(error as Error).message}`, {
      hint: 'check the path given to --dataset or as prompts.path',
    });
  }
  const rows: DatasetRow[] = [];
  const trimmed = text.trimStart();
  if (format === 'sharegpt' && trimmed.startsWith('[')) {
    let entries: unknown;
    try {
      entries = JSON.parse(text);
    } catch (error) {
      const position = /position (\d+)/.exec((error as Error).message)?.[1];
      const line = position === undefined ? '' : `:${text.slice(0, Number(position)).split('\n').length}`;
      throw invalid(path, line, `not valid JSON (${(error as Error).message})`);
    }
    (entries as unknown[]).forEach((entry, index) => {
      const row = shareGptRow(entry);
      if (typeof row === 'string') throw invalid(path, ` entry ${index}`, row);
      if (row) rows.push(row);
    });
  } else {
    text.split('\n').forEach((line, index) => {
      if (line.trim() === '') return;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        throw invalid(path, `:${index + 1}`, 'not valid JSON');
      }
      const row = format === 'sharegpt' ? shareGptRow(value) : jsonlRow(value);
      if (typeof row === 'string') throw invalid(path, `:${index + 1}`, row);
      if (row) rows.push(row);
    });
  }
  if (rows.length === 0) throw invalid(path, '', 'no prompts found');
  return rows;
}

function jsonlRow(value: unknown): DatasetRow | string {
  const row = value as { prompt?: unknown; max_tokens?: unknown } | null;
  if (typeof row !== 'object' || row === null || typeof row.prompt !== 'string' || row.prompt === '') {
    return 'expected an object with a non-empty "prompt" string';
  }
  if (row.max_tokens !== undefined && !(Number.isInteger(row.max_tokens) && (row.max_tokens as number) > 0)) {
    return '"max_tokens" must be a positive integer';
  }
  return { prompt: row.prompt, ...(row.max_tokens === undefined ? {} : { maxTokens: row.max_tokens as number }) };
}

/** A ShareGPT conversation: the first human turn is the prompt, the reply after it sets the length. Null = skip (no human turn). */
function shareGptRow(value: unknown): DatasetRow | string | null {
  const turns = (value as { conversations?: unknown } | null)?.conversations;
  if (!Array.isArray(turns)) return 'expected an object with a "conversations" array';
  const human = turns.findIndex((turn) => turn?.from === 'human' || turn?.from === 'user');
  if (human === -1) return null;
  const prompt = turns[human]?.value;
  if (typeof prompt !== 'string' || prompt === '') return 'the human turn has no "value" string';
  const reply = turns[human + 1]?.value;
  return { prompt, ...(typeof reply === 'string' && reply !== '' ? { answer: reply } : {}) };
}
