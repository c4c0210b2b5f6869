import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { KittError } from '../core/errors.js';
import { startExactScheduleServer } from '../testing/exact-schedule-server.js';
import { preparePrompts, readDataset } from './prompt-source.js';
import { promptSpecSchema } from './prompt-spec.js';
import { promptText } from './request-body.js';
import { tokenizeClient } from './tokenize-client.js';

const dir = mkdtempSync(join(tmpdir(), 'kitt-prompts-'));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

test('synthetic prompts have exact input lengths through the tokenizer, shared prefixes and unique markers', async (t) => {
  const server = await startExactScheduleServer();
  t.after(() => server.close());
  const spec = promptSpecSchema.parse({
    kind: 'synthetic',
    inputTokens: { kind: 'uniform', min: 20, max: 60 },
    outputTokens: { kind: 'normal', mean: 50, std: 10, min: 10, max: 90 },
    sharedPrefix: { tokens: 12, groups: 2 },
    seed: 3,
  });
  const countTokens = tokenizeClient(server.url, 'm');
  const prepared = await preparePrompts(spec, { count: 40, countTokens });
  assert.equal(prepared.exactInputLengths, true);
  for (const [i, prompt] of prepared.prompts.entries()) {
    assert.ok(prompt.inputTokens! >= 20 && prompt.inputTokens! <= 60);
    assert.equal(await countTokens(prompt.text), prompt.inputTokens);
    // Cache busting per request id keeps the length.
    assert.equal(await countTokens(promptText(prompt, 1000 + i)), prompt.inputTokens);
    assert.ok(prompt.maxTokens >= 10 && prompt.maxTokens <= 90);
  }
  const firstWords = (text: string) => text.split(' ').slice(0, 12).join(' ');
  assert.equal(firstWords(prepared.prompts[0]!.text), firstWords(prepared.prompts[2]!.text));
  assert.notEqual(firstWords(prepared.prompts[0]!.text), firstWords(prepared.prompts[1]!.text));
  assert.notEqual(promptText(prepared.prompts[0]!, 1), promptText(prepared.prompts[0]!, 2));
  const again = await preparePrompts(spec, { count: 40, countTokens });
  assert.deepEqual(again.prompts, prepared.prompts, 'seeded');
});

test('without a tokenizer the lengths are approximate and say so', async () => {
  const prepared = await preparePrompts(promptSpecSchema.parse({ kind: 'synthetic', inputTokens: 30 }), { count: 3 });
  assert.equal(prepared.exactInputLengths, false);
  assert.equal(prepared.prompts[0]!.inputTokens, null);
  assert.match(prepared.warnings.join(' '), /approximate/);
});

test('JSONL and ShareGPT datasets load', async () => {
  const jsonl = file('ok.jsonl', '{"prompt":"hello there","max_tokens":5}\n\n{"prompt":"second"}\n');
  assert.deepEqual(await readDataset(jsonl, 'jsonl'), [{ prompt: 'hello there', maxTokens: 5 }, { prompt: 'second' }]);
  const share = file(
    'share.json',
    JSON.stringify([
      {
        conversations: [
          { from: 'human', value: 'Why?' },
          { from: 'gpt', value: 'because it is so' },
        ],
      },
      { conversations: [{ from: 'gpt', value: 'orphan' }] },
    ]),
  );
  const rows = await readDataset(share, 'sharegpt');
  assert.deepEqual(rows, [{ prompt: 'Why?', answer: 'because it is so' }]);
  const prepared = await preparePrompts(promptSpecSchema.parse({ kind: 'dataset', path: share, format: 'sharegpt' }), {
    count: 1,
  });
  assert.equal(prepared.prompts[0]!.maxTokens, 4);
});

test('a bad dataset line is a DATASET_INVALID error naming the line', async () => {
  const bad = file('bad.jsonl', '{"prompt":"fine"}\n{"prompt": 3}\n');
  await assert.rejects(readDataset(bad, 'jsonl'), (error: unknown) => {
    assert.ok(error instanceof KittError);
    assert.equal(error.code, 'DATASET_INVALID');
    assert.match(error.message, /bad\.jsonl:2: /);
    return true;
  });
  const broken = file('broken.jsonl', '{"prompt":"fine"}\n\n{"prompt": "x"\n');
  await assert.rejects(readDataset(broken, 'jsonl'), /broken\.jsonl:3: not valid JSON/);
  await assert.rejects(readDataset(join(dir, 'missing.jsonl'), 'jsonl'), /cannot read dataset/);
});
