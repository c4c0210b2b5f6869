import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, test } from 'node:test';
import { KittError } from '../../core/errors.js';
import { OptionIssues } from '../../core/option-issues.js';
import { recognizeEngine } from '../../engines/recognize-engine.js';
import { type ReplayServer, startReplayServer } from '../../testing/replay-server.js';
import { attachTarget } from './attach-target.js';
import { readTargetPlan, type TargetPlan } from './target-options.js';

const fixtures = (engine: string) => new URL(`../../engines/fixtures/${engine}/`, import.meta.url);

const servers: ReplayServer[] = [];
after(async () => {
  await Promise.all(servers.map((server) => server.close()));
});

function listedModel(engine: string): string {
  const body = JSON.parse(readFileSync(new URL('models.json', fixtures(engine)), 'utf8')) as { data: { id: string }[] };
  return body.data[0]!.id;
}

function plan(url: string, extra: Partial<TargetPlan> = {}): TargetPlan {
  return { url, headers: {}, ...extra };
}

for (const engine of ['vllm', 'sglang', 'tgi'] as const) {
  test(`a recorded ${engine} server is recognised from its /metrics, so its counters are cross-checked`, async () => {
    const server = await startReplayServer(fixtures(engine));
    servers.push(server);
    // only vLLM's recording has /v1/models; the others are named as a person would
    const servedModel = engine === 'vllm' ? undefined : server.manifest.model;
    const attached = await attachTarget(plan(server.baseUrl, servedModel ? { servedModel } : {}), {});
    assert.equal(attached.record.engine, engine);
    assert.equal(attached.record.recognisedBy, 'metrics');
    // vLLM's model comes from its recorded /v1/models answer
    assert.equal(attached.record.servedModel, servedModel ?? listedModel(engine));
    assert.equal(attached.engine.name, engine);
    assert.equal(attached.engine.mode, 'external');
    assert.equal(attached.loadTarget.metricsPath, '/metrics');
    // TGI's definition serves chat; the others raw completions
    assert.equal(attached.loadTarget.api, engine === 'tgi' ? 'openai-chat' : 'openai-completions');
  });
}

test('llama.cpp names are recognised as llama.cpp, Ollama by /api/version, anything else is "unknown"', () => {
  assert.deepEqual(recognizeEngine({ metricNames: new Set(['llamacpp:tokens_predicted_total']) }), {
    engine: 'llamacpp',
    by: 'metrics',
  });
  assert.deepEqual(recognizeEngine({ metricNames: new Set(), ollamaVersion: true }), {
    engine: 'ollama',
    by: 'api-version',
  });
  assert.deepEqual(recognizeEngine({ metricNames: new Set(['kitt_exact:requests_total']) }), {
    engine: 'unknown',
    by: 'none',
  });
});

test('a server without /metrics but with /api/version is Ollama; stop leaves it running', async () => {
  let hits = 0;
  const server = createServer((req, res) => {
    hits++;
    if (req.url === '/api/version')
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"version":"0.6.2"}');
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const attached = await attachTarget(plan(url, { servedModel: 'llama3.2' }), {});
  assert.equal(attached.record.engine, 'ollama');
  assert.equal(attached.loadTarget.metricsPath, null);
  assert.equal(attached.loadTarget.supports.ignoreEos, false);
  const stopped = await attached.engine.stop();
  assert.match(stopped.exit.reason, /not started by kitt/);
  const before = hits;
  await attached.engine.stop();
  assert.equal(hits, before, 'stopping an attached server sends it nothing');
});

test('a server that lists several models asks for --served-model; one that answers nothing names --target', async () => {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"data":[{"id":"a"},{"id":"b"}]}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await assert.rejects(attachTarget(plan(url), {}), (error: unknown) => {
    assert.ok(error instanceof KittError);
    assert.equal(error.code, 'USAGE');
    assert.match(error.message, /lists 2 models \(a, b\)/);
    assert.match(error.hint ?? '', /--served-model/);
    return true;
  });
  await assert.rejects(attachTarget(plan('http://127.0.0.1:1'), {}), (error: unknown) => {
    assert.ok(error instanceof KittError);
    assert.match(error.hint ?? '', /--target/);
    return true;
  });
});

test('the target plan: a pasted /v1 is dropped, launch flags are refused, the key variable must be set', () => {
  const issues = new OptionIssues();
  const ok = readTargetPlan(
    { target: 'http://127.0.0.1:8000/v1/', header: ['X-Team: blue'], apiKeyEnv: 'MY_KEY', api: 'chat' },
    {},
    { MY_KEY: 'k' },
    issues,
  );
  assert.deepEqual(issues.list, []);
  assert.deepEqual(ok, {
    url: 'http://127.0.0.1:8000',
    headers: { 'x-team': 'blue' },
    api: 'openai-chat',
    apiKeyEnv: 'MY_KEY',
  });
  const bad = new OptionIssues();
  readTargetPlan(
    { target: 'http://u:p@host', cpus: '1', engineArg: ['--x'], apiKeyEnv: 'UNSET_VAR', header: ['novalue'] },
    {},
    {},
    bad,
  );
  const problems = bad.list.map((issue) => issue.problem).join('\n');
  assert.match(problems, /--cpus launches an engine/);
  assert.match(problems, /--engine-arg launches an engine/);
  assert.match(problems, /credentials in the URL/);
  assert.match(problems, /UNSET_VAR: the variable is not set/);
  assert.match(problems, /--header \(no name\) is not NAME:VALUE/);
  const orphan = new OptionIssues();
  readTargetPlan({ servedModel: 'm' }, {}, {}, orphan);
  assert.match(orphan.list[0]?.problem ?? '', /--served-model only apply with --target/);
});
