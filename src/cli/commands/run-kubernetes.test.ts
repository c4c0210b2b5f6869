import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { kittSync, tempHome } from '../../testing/kitt-cli.js';

test('kitt run --runtime kubernetes --dry-run prints the manifests as YAML and starts nothing', (t) => {
  const home = tempHome(t);
  const args = ['run', '--runtime', 'kubernetes', '--dry-run', '-e', 'vllm', '-m', 'llama-8b', '--model-pvc', 'models'];
  const result = kittSync(
    [...args, '--cpus', '8', '--memory', '32g', '--gpus', '0', '--workers', '2', '--namespace', 'bench'],
    { KITT_HOME: home },
  );
  assert.equal(result.code, 0, result.stderr);
  const kinds = parseAllDocuments(result.stdout).map((d) => (d.toJSON() as { kind: string }).kind);
  assert.deepEqual(kinds, ['ConfigMap', 'Pod', 'Service', 'Job']);
  assert.match(result.stdout, /nvidia\.com\/gpu: "1"/);
  assert.match(result.stdout, /claimName: models/);
  assert.match(result.stdout, /completions: 2/);
  for (const left of ['results', 'kitt.db', 'models']) assert.ok(!existsSync(join(home, left)), `${left} was created`);
});

test('kitt run --runtime kubernetes refuses bad values in one usage line each, exit 2', (t) => {
  const home = tempHome(t);
  const cases: Array<[string[], RegExp]> = [
    [['--runtime', 'nomad'], /unknown --runtime "nomad" \(use one of: local, kubernetes\)/],
    [['--dry-run'], /apply to a cluster \(add --runtime kubernetes\)/],
    [['--runtime', 'kubernetes', '--dry-run', '-e', 'vllm', '-m', 'm', '--cpus', '1'], /needs --cpus and --memory/],
  ];
  for (const [args, expected] of cases) {
    const result = kittSync(['run', ...args], { KITT_HOME: home });
    assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, expected, args.join(' '));
  }
});

test('kitt run --runtime kubernetes without a reachable cluster says so in one line, exit 4, and leaves nothing', (t) => {
  const home = tempHome(t);
  const kubeconfig = join(home, 'kubeconfig');
  // a context whose API server is a closed port on loopback
  writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters: [{name: gone, cluster: {server: "http://127.0.0.1:9", insecure-skip-tls-verify: true}}]',
      'users: [{name: bench, user: {}}]',
      'contexts: [{name: gone, context: {cluster: gone, user: bench}}]',
      'current-context: gone',
      '',
    ].join('\n'),
  );
  const args = ['run', '--runtime', 'kubernetes', '-e', 'llamacpp', '-m', '/m.gguf', '--cpus', '1', '--memory', '1g'];
  const result = kittSync(args, { KITT_HOME: home, KUBECONFIG: kubeconfig });
  assert.equal(result.code, 4, result.stderr);
  assert.match(result.stderr, /could not list kitt runs: .*ECONNREFUSED/);
  assert.match(result.stderr, /http:\/\/127\.0\.0\.1:9 \(context gone\)/);
  assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
});

test('kitt run --runtime kubernetes with no kubeconfig at all refuses rather than try localhost:8080', (t) => {
  const home = tempHome(t);
  const args = ['run', '--runtime', 'kubernetes', '-e', 'llamacpp', '-m', '/m.gguf', '--cpus', '1', '--memory', '1g'];
  const result = kittSync(args, { KITT_HOME: home, HOME: home, KUBECONFIG: '', KUBERNETES_SERVICE_HOST: '' });
  assert.equal(result.code, 4, result.stderr);
  assert.match(
    result.stderr,
    /no kubeconfig: neither \$KUBECONFIG, ~\/\.kube\/config nor an in-cluster service account/,
  );
});
