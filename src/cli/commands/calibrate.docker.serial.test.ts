import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { createDockerRuntime } from '../../runtime/docker/docker-runtime.js';
import { llamaCppImageReady } from '../../testing/docker-gate.js';
import { freePort } from '../../testing/free-port.js';
import { ensureTestModel } from '../../testing/test-model.js';

/** Tier 2, serial: `kitt calibrate` as a person runs it, against the real llama.cpp container. */
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const runtime = createDockerRuntime();

interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs kitt; `onStderr` sees stderr as it grows, with the child (to signal it). */
function kitt(
  args: string[],
  env: NodeJS.ProcessEnv,
  onStderr?: (text: string, child: ChildProcess) => void,
): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/entry.ts', ...args], {
      cwd: repoRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      onStderr?.(stderr, child);
    });
    const timer = setTimeout(() => child.kill('SIGINT'), 100_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

test('kitt calibrate prints the rate–CPU–latency table, exits 0 and writes the rate to config', async (t) => {
  if (!(await llamaCppImageReady(t))) return;
  const home = mkdtempSync(join(tmpdir(), 'kitt-calibrate-cli-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const out = join(home, 'result');
  const { code, stdout, stderr } = await kitt(
    [
      'calibrate',
      '-e',
      'llamacpp',
      '-m',
      await ensureTestModel(),
      '--cpus',
      '1',
      '--memory',
      '1g',
      '--port',
      String(await freePort()),
      // a wide band: 3 s windows on a shared CI host are noisy, and this test checks the command
      '--target-cpu',
      '70-90',
      '--window',
      '3s',
      '--soak',
      '3s',
      '--max-windows',
      '5',
      '--start-rate',
      '2',
      '-o',
      out,
    ],
    { PATH: process.env.PATH, HOME: home, KITT_HOME: home, KITT_TEST: '1' },
  );
  assert.equal(code, 0, `stderr:\n${stderr}\nstdout:\n${stdout}`);
  const lines = stdout.split('\n');
  assert.match(
    lines[0] ?? '',
    /#\s+kind\s+rate req\/s\s+achieved\s+tok\/s\s+CPU %\s+thr %\s+mem\s+TTFT p95\s+TPOT p95\s+verdict/,
  );
  const rows = lines.filter((line) => /^\s*\d+\s+(probe|soak)\s/.test(line));
  assert.ok(rows.length >= 2, stdout);
  assert.ok(rows.some((row) => /\ssoak\s/.test(row)));
  const summary = /^llamacpp\/1cpu-1GiB: (\d+\.\d+) requests\/s .* soak held$/m.exec(stdout);
  assert.ok(summary, stdout);
  const config = parse(readFileSync(join(home, 'config.yaml'), 'utf8'));
  const saved = config.compute.rates['llamacpp/1cpu-1GiB'];
  assert.equal(saved.unit, 'requests/s');
  assert.ok(Math.abs(saved.value - Number(summary[1])) / Number(summary[1]) < 1e-3);
  assert.ok(existsSync(join(out, 'calibration.md')));
  const report = JSON.parse(readFileSync(join(out, 'calibration.json'), 'utf8'));
  assert.equal(report.windows.length, rows.length);
  assert.deepEqual(await runtime.listManaged({ 'kitt.run-id': report.runId }), []);
});

test('Ctrl-C during a window stops kitt calibrate with the interrupt code and leaves no container', async (t) => {
  if (!(await llamaCppImageReady(t))) return;
  const home = mkdtempSync(join(tmpdir(), 'kitt-calibrate-cli-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  let pid: number | undefined;
  let interruptedAt: number | undefined;
  const { code, stderr } = await kitt(
    [
      'calibrate',
      '-e',
      'llamacpp',
      '-m',
      await ensureTestModel(),
      '--cpus',
      '1',
      '--memory',
      '1g',
      '--port',
      String(await freePort()),
      '--window',
      '20s',
      '--start-rate',
      '2',
      '-o',
      join(home, 'result'),
    ],
    { PATH: process.env.PATH, HOME: home, KITT_HOME: home, KITT_TEST: '1' },
    (text, child) => {
      pid = child.pid;
      if (interruptedAt === undefined && /window 1 probe/.test(text)) {
        interruptedAt = Date.now();
        setTimeout(() => child.kill('SIGINT'), 1500);
      }
    },
  );
  assert.ok(interruptedAt !== undefined, `never reached a window:\n${stderr}`);
  assert.equal(code, 130, stderr);
  assert.ok(Date.now() - interruptedAt < 15_000, 'stopped well before the 20 s window would have ended');
  const left = (await runtime.listManaged()).filter((c) => c.labels['kitt.owner']?.includes(`:${pid}:`));
  assert.deepEqual(left, []);
});
