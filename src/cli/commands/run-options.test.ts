import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { EXIT_CODES } from '../../core/errors.js';
import { kittSync, tempHome } from '../../testing/kitt-cli.js';

/**
 * Bad option combinations through the real entry: each is refused with its fix and exit 2 before
 * anything starts, so nothing is left behind in the home (no result folder, no store) and no model
 * is synthesized.
 */
function assertNothingStarted(home: string, label: string): void {
  for (const left of ['results', 'kitt.db', 'models']) {
    assert.ok(!existsSync(join(home, left)), `${label}: ${left} was created, so the run got past its options`);
  }
}

test('kitt run refuses each bad flag combination with its fix and exit 2, before anything starts', (t) => {
  const home = tempHome(t);
  const spec = join(home, 'spec.yaml');
  writeFileSync(spec, 'kind: constant-rate\nrate: 2\nrequests: 4\n');
  const cases: Array<[string[], RegExp]> = [
    [
      ['--rate', '5'],
      /--rate applies to constant-rate, poisson, not the configured load, fixed-concurrency \(add --load constant-rate, or drop --rate\)/,
    ],
    [['--levels', '1,2,4'], /--levels applies to sweep, not the configured load, fixed-concurrency \(add --load sweep/],
    [
      ['--load', 'ramp-rate', '--duration', '1m'],
      /--load ramp-rate needs --from and --to \(e\.g\. --from 0\.5 --to 20/,
    ],
    [['--load', 'ramp-concurrency', '--from', '1', '--to', '4'], /needs --duration, the length of the ramp/],
    [
      ['--load-file', spec, '--requests', '9'],
      /--load-file is the whole load spec, so --requests would be ignored \(drop --requests/,
    ],
    [
      ['--load', 'burst'],
      /--load "burst" is not one of synchronous, fixed-concurrency, constant-rate, poisson, ramp-rate, ramp-concurrency, sweep/,
    ],
    [['--slo', 'ttft-p97=800ms'], /--slo term "ttft-p97=800ms" names p97 \(use one of -p50, -p90, -p95, -p99/],
    [['--slo', 'ttft=soon'], /--slo term "ttft=soon" needs a duration above 0/],
    [['--duration', '1d'], /--duration must be a duration, got "1d" \(write e\.g\. 500ms, 30s, 2m or 1h/],
  ];
  for (const [args, message] of cases) {
    const started = Date.now();
    const result = kittSync(['run', ...args], { KITT_HOME: home });
    const label = args.join(' ');
    assert.equal(result.code, EXIT_CODES.USAGE, `${label}: ${result.stderr}`);
    assert.equal(result.stderr.trim().split('\n').length, 1, `${label}: one problem, one line: ${result.stderr}`);
    assert.match(result.stderr, message, label);
    assert.ok(Date.now() - started < 30_000, `${label}: refused quickly`);
    assertNothingStarted(home, label);
  }
});

test('kitt run lists every problem at once, one line and fix each, and a bad dataset before the engine', (t) => {
  const home = tempHome(t);
  const dataset = join(home, 'prompts.jsonl');
  writeFileSync(dataset, '{"prompt": "hi"}\nnot json\n');
  const alone = kittSync(['run', '--dataset', dataset], { KITT_HOME: home });
  assert.equal(alone.code, EXIT_CODES.DATASET_INVALID, alone.stderr);
  assert.match(alone.stderr, /prompts\.jsonl:2: not valid JSON/);
  assertNothingStarted(home, 'bad dataset');

  const result = kittSync(
    ['run', '--rate', '5', '--levels', '1,2', '--cpus', 'many', '--slo', 'latency=1s', '--dataset', dataset],
    { KITT_HOME: home },
  );
  assert.equal(result.code, EXIT_CODES.USAGE, result.stderr);
  const lines = result.stderr.trim().split('\n');
  assert.match(lines[0]!, /^error: 5 problems with the options:$/);
  for (const expected of [
    /--rate applies/,
    /--levels applies/,
    /--cpus must be a number/,
    /--slo term "latency=1s"/,
    /prompts\.jsonl:2/,
  ]) {
    assert.ok(
      lines.some((line) => expected.test(line)),
      `${expected}:\n${result.stderr}`,
    );
  }
  assert.ok(
    lines.slice(1, 6).every((line) => /^ {2}\S.*\(.+\)$/.test(line)),
    `each problem ends with its fix:\n${result.stderr}`,
  );
  assertNothingStarted(home, 'several problems');
});

test('kitt calibrate reads the same SLO grammar and reports all its problems at once', (t) => {
  const home = tempHome(t);
  const result = kittSync(['calibrate', '--slo', 'ttft=1s,e2e=2s', '--objective', 'slo', '--window', 'soon'], {
    KITT_HOME: home,
  });
  assert.equal(result.code, EXIT_CODES.USAGE, result.stderr);
  for (const expected of [
    /needs -e, --engine/,
    /needs -m, --model/,
    /needs --cpus/,
    /needs --memory/,
    /--slo e2e=2s: kitt calibrate judges ttft and tpot/,
    /--window must be a duration/,
  ]) {
    assert.match(result.stderr, expected);
  }
  assert.doesNotMatch(result.stderr, /ttft=1s/, 'ttft=1s is a valid term');
  assertNothingStarted(home, 'calibrate');
});

test('a config key kitt would not act on is refused with the keys allowed there', (t) => {
  const home = tempHome(t);
  const config = join(home, 'kitt.yaml');
  writeFileSync(config, 'engines:\n  llamacpp:\n    images: [{ image: x/y:z }]\n');
  const result = kittSync(['run', '--config', config], { KITT_HOME: home });
  assert.equal(result.code, EXIT_CODES.CONFIG_INVALID, result.stderr);
  assert.match(
    result.stderr,
    /engines\.llamacpp\.images: unknown key; allowed keys here: image, port, args, env, startupTimeout/,
  );
  assertNothingStarted(home, 'config');
});

test('a ramp runs from --load with --from/--to, and kitt run takes an SLO in seconds', (t) => {
  const home = tempHome(t);
  const args = ['run', '--load', 'ramp-rate', '--from', '1', '--to', '4', '--duration', '3s', '--warmup', '0'];
  const result = kittSync([...args, '--prompt-tokens', '16', '--output-tokens', '8', '--slo', 'ttft=1s,tpot=50ms'], {
    KITT_HOME: home,
  });
  assert.equal(result.code, 0, result.stderr);
  const runDir = join(home, 'results', readdirSync(join(home, 'results'))[0]!);
  const document = JSON.parse(readFileSync(join(runDir, 'metrics.json'), 'utf8'));
  // the area under the rate: (1 + 4) / 2 req/s over 3 s = 7.5 arrivals, the last one at t < 3 s
  assert.equal(document.metrics.requests.total, 8);
  assert.deepEqual(document.metrics.slo.bounds, { ttftMs: 1000, tpotMs: 50 });
});
