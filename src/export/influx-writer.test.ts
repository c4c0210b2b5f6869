import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { test } from 'node:test';
import { Secret } from '../core/secret.js';
import { startInfluxDb1 } from '../testing/external-services.js';
import { createInfluxWriter, toLineProtocol } from './influx-writer.js';
import type { MetricPoint } from './metric-point.js';

const points: MetricPoint[] = [
  {
    measurement: 'kitt_request',
    tags: { engine: 'llamacpp', model: 'tiny model', run_id: 'r1' },
    fields: { ttft_ms: 12.5, output_tokens: 16, ok: true },
    timestampMs: 1_763_900_000_000,
  },
  {
    measurement: 'kitt_request',
    tags: { engine: 'llamacpp', model: 'tiny model', run_id: 'r1' },
    fields: { ttft_ms: 20.25, output_tokens: 16, ok: true },
    timestampMs: 1_763_900_000_500,
  },
];

test('line protocol escapes tag spaces and keeps millisecond timestamps', () => {
  const lines = toLineProtocol(points).split('\n');
  assert.equal(lines.length, 2);
  assert.equal(
    lines[0],
    'kitt_request,engine=llamacpp,model=tiny\\ model,run_id=r1 ok=T,output_tokens=16,ttft_ms=12.5 1763900000000',
  );
});

test('the v2 writer sends the official client request: org, bucket, ms precision and token', async (t) => {
  const seen: Array<{ url: string; auth: string | undefined; body: string }> = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      seen.push({ url: req.url ?? '', auth: req.headers.authorization, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const port = (server.address() as { port: number }).port;
  const writer = createInfluxWriter({
    version: 2,
    url: Secret.url(`http://127.0.0.1:${port}`),
    org: 'kitt',
    bucket: 'benchmarks',
    token: new Secret('s3cret'),
  });
  writer.write(points);
  await writer.close();
  assert.equal(seen.length, 1);
  const url = new URL(seen[0]!.url, 'http://x');
  assert.equal(url.pathname, '/api/v2/write');
  assert.equal(url.searchParams.get('org'), 'kitt');
  assert.equal(url.searchParams.get('bucket'), 'benchmarks');
  assert.equal(url.searchParams.get('precision'), 'ms');
  assert.equal(seen[0]!.auth, 'Token s3cret');
  assert.equal(seen[0]!.body, toLineProtocol(points));
});

test('a real InfluxDB 1.x receives points through /write and returns them to a query', async (t) => {
  const influx = await startInfluxDb1(t);
  if (!influx) return;
  const created = await fetch(`${influx.url}/query?q=${encodeURIComponent('CREATE DATABASE kitt')}`, {
    method: 'POST',
  });
  assert.equal(created.status, 200);
  const writer = createInfluxWriter({ version: 1, url: Secret.url(influx.url), database: 'kitt' });
  writer.write(points);
  await writer.flush();
  const q = encodeURIComponent("SELECT ttft_ms, output_tokens FROM kitt_request WHERE run_id = 'r1'");
  const body = (await (await fetch(`${influx.url}/query?db=kitt&epoch=ms&q=${q}`)).json()) as {
    results: Array<{ series?: Array<{ values: Array<[number, number, number]> }> }>;
  };
  const values = body.results[0]?.series?.[0]?.values ?? [];
  assert.deepEqual(values, [
    [1_763_900_000_000, 12.5, 16],
    [1_763_900_000_500, 20.25, 16],
  ]);
});

test('writing to a database that does not exist is one error naming the fix', async (t) => {
  const influx = await startInfluxDb1(t);
  if (!influx) return;
  const writer = createInfluxWriter({ version: 1, url: Secret.url(influx.url), database: 'missing' });
  writer.write(points);
  await assert.rejects(writer.flush(), /InfluxDB answered 404.*database not found/);
});

/** A loopback port nothing listens on: bound, then closed again. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

test('an unreachable InfluxDB is reported without its password or token', async () => {
  const port = await closedPort();
  const v1 = createInfluxWriter({
    version: 1,
    url: Secret.url(`http://kitt:url-pa55@127.0.0.1:${port}`),
    database: 'kitt',
    username: 'kitt',
    password: new Secret('query-pa55'),
  });
  v1.write(points);
  const v1Error = await v1.flush().then(
    () => assert.fail('the write succeeded'),
    (error: Error) => error,
  );
  assert.match(v1Error.message, new RegExp(`cannot reach InfluxDB at http://kitt:\\*+@127\\.0\\.0\\.1:${port}`));
  assert.doesNotMatch(v1Error.message, /pa55/);

  const v2 = createInfluxWriter({
    version: 2,
    url: Secret.url(`http://127.0.0.1:${port}`),
    org: 'kitt',
    bucket: 'benchmarks',
    token: new Secret('token-pa55'),
  });
  v2.write(points);
  const v2Error = await v2.close().then(
    () => assert.fail('the write succeeded'),
    (error: Error) => error,
  );
  assert.match(v2Error.message, /InfluxDB at http:\/\/127\.0\.0\.1:\d+ refused the points/);
  assert.doesNotMatch(`${v2Error.message} ${JSON.stringify(v2Error)}`, /pa55/);
});
