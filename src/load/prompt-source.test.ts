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

test('two runs with the same seed open their prompts differently: each parsed spec draws its own salt', async () => {
  const spec = { kind: 'synthetic', inputTokens: 24, seed: 1 } as const;
  const first = promptSpecSchema.parse(spec);
  const second = promptSpecSchema.parse(spec);
  assert.ok(first.kind === 'synthetic' && second.kind === 'synthetic');
  assert.notEqual(first.salt, second.salt);
  const a = await preparePrompts(first, { count: 4 });
  const b = await preparePrompts(second, { count: 4 });
  const opening = (text: string) => text.split(' ').slice(0, 3).join(' ');
  for (let id = 0; id < 4; id++) {
    // a prefix cache matches from the first token: the runs must differ there
    assert.notEqual(opening(promptText(a.prompts[id]!, id)), opening(promptText(b.prompts[id]!, id)));
  }
  assert.equal(a.salt, first.salt);
});

test('the recorded salt replays a run exactly, and a shared prefix still opens each group alike', async () => {
  const recorded = JSON.parse(
    JSON.stringify(
      promptSpecSchema.parse({ kind: 'synthetic', inputTokens: 40, sharedPrefix: { tokens: 8, groups: 2 } }),
    ),
  );
  const replay = promptSpecSchema.parse(recorded);
  assert.equal(replay.kind === 'synthetic' && replay.salt, recorded.salt);
  const a = await preparePrompts(promptSpecSchema.parse(recorded), { count: 4 });
  const b = await preparePrompts(replay, { count: 4 });
  assert.deepEqual(
    a.prompts.map((p, id) => promptText(p, id)),
    b.prompts.map((p, id) => promptText(p, id)),
  );
  // salt (3 words) + prefix (8 words) are shared within a group, and only there
  const head = (id: number) => promptText(a.prompts[id]!, id).split(' ').slice(0, 11).join(' ');
  assert.equal(head(0), head(2));
  assert.notEqual(head(0), head(1));
});

test('a salt that is not 0-9a-z is refused with the form it takes', () => {
  const result = promptSpecSchema.safeParse({ kind: 'synthetic', salt: 'no spaces!' });
  assert.equal(result.success, false);
  assert.match(JSON.stringify(result.error?.issues), /0-9 and a-z/);
});
