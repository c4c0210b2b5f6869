import type { Command } from 'commander';
import { type KubernetesFlags, planKubernetesRun, RUNTIMES } from '../../app/run/kubernetes-run-plan.js';
import type { MergedWorkerLoad } from '../../app/run/merge-worker-outcomes.js';
import { clusterLoadJson, runAndRecordOnCluster } from '../../app/run/record-cluster-run.js';
import type { RunFlags } from '../../app/run/run-plan.js';
import { openRunStore } from '../../app/shared/open-run-store.js';
import type { KittConfig } from '../../config/config-schema.js';
import { KittError } from '../../core/errors.js';
import { newRunId } from '../../core/ids.js';
import type { LatencyMetricName } from '../../metrics/metric-histograms.js';
import { manifestsYaml, validateManifests } from '../../runtime/kubernetes/validate-manifests.js';
import { defaultStorePath } from '../../store/open-store.js';
import type { CliContext } from '../cli-context.js';

/** The flags `kitt run` takes for a cluster. */
export interface KubernetesRunFlags extends KubernetesFlags {
  readonly dryRun?: boolean;
}

/** Adds `--runtime` and where on a cluster it runs: the flags `kitt run` and `kitt campaign` share. */
export function addClusterOptions(command: Command): Command {
  return command
    .option('--runtime <runtime>', `where the engine runs: ${RUNTIMES.join(', ')} (default local: --mode decides)`)
    .option('--namespace <ns>', 'with --runtime kubernetes: the namespace (default: default)')
    .option(
      '--model-pvc <claim>',
      'with --runtime kubernetes: the PersistentVolumeClaim holding -m (else -m is a node path)',
    )
    .option('--kitt-image <image>', "with --runtime kubernetes: kitt's image for the load Job (default kitt:local)");
}

/** Adds `--runtime` and the flags that only mean something with `--runtime kubernetes`. */
export function addKubernetesOptions(command: Command): Command {
  return addClusterOptions(command).option(
    '--dry-run',
    'with --runtime kubernetes: print the manifests as YAML and start nothing',
  );
}

/** Whether the flags ask for a cluster; an unknown runtime is a usage error naming the valid ones. */
export function wantsKubernetes(flags: KubernetesRunFlags): boolean {
  const runtime = flags.runtime ?? 'local';
  if (!(RUNTIMES as readonly string[]).includes(runtime)) {
    throw new KittError('USAGE', `unknown --runtime "${runtime}"`, { hint: `use one of: ${RUNTIMES.join(', ')}` });
  }
  if (runtime === 'local' && (flags.dryRun || flags.namespace || flags.modelPvc || flags.kittImage)) {
    throw new KittError('USAGE', '--dry-run, --namespace, --model-pvc and --kitt-image apply to a cluster', {
      hint: 'add --runtime kubernetes',
    });
  }
  return runtime === 'kubernetes';
}

/** Where a cluster run is recorded: the home's store and result folders, as for a local run. */
export interface ClusterRecording {
  readonly home: string;
  /** The config as it is recorded with a run (secrets masked). */
  readonly recordedConfig: unknown;
}

/**
 * `kitt run --runtime kubernetes`: plans the run for the cluster; with --dry-run prints its
 * manifests (schema-validated) as one multi-document YAML stream, otherwise runs it on the
 * current context of the usual kubeconfig, records it in the store and the result folder, and
 * prints the workers' merged distributions.
 */
export async function runOnKubernetes(
  flags: RunFlags & KubernetesRunFlags & { readonly json?: boolean; readonly output?: string },
  config: KittConfig,
  recording: ClusterRecording,
  context: CliContext,
): Promise<void> {
  const plan = await planKubernetesRun(flags, config, { runId: newRunId(), env: context.env });
  await validateManifests(plan.manifests);
  if (flags.dryRun) {
    context.stdout.write(manifestsYaml(plan.manifests));
    return;
  }
  // The client library is a large import: only a run on a cluster loads it.
  const { KubernetesClient } = await import('../../runtime/kubernetes/kubernetes-client.js');
  const cluster = KubernetesClient.fromDefaultKubeconfig(context.env);
  await using store = await openRunStore(config.store.url ?? defaultStorePath(recording.home));
  const { runId, resultDir, merged } = await runAndRecordOnCluster(
    plan,
    cluster,
    store,
    { home: recording.home, resultDir: flags.output, config: recording.recordedConfig },
    { progress: context.progress, signal: context.signal },
  );
  context.stdout.write(flags.json ? clusterLoadJson(runId, merged) : renderMergedLoad(merged, runId, resultDir));
}

const SHOWN: ReadonlyArray<[LatencyMetricName, string]> = [
  ['ttftMs', 'TTFT'],
  ['tpotMs', 'TPOT'],
  ['itlMs', 'ITL'],
  ['e2eMs', 'E2E'],
];

function renderMergedLoad(merged: MergedWorkerLoad, runId: string, resultDir: string): string {
  const { requests } = merged;
  const ms = (v: number | null) => (v === null ? '-' : v.toFixed(1));
  const rows = SHOWN.map(([name, label]) => {
    const d = merged.distributions[name];
    return `${label.padEnd(5)} ${String(d.count).padStart(7)} ${[d.p50, d.p90, d.p99, d.max].map((v) => ms(v).padStart(9)).join(' ')}`;
  });
  return [
    `${merged.workers} worker(s): ${requests.succeeded} succeeded, ${requests.failed} failed, ${requests.dropped} dropped`,
    `ms      count       p50       p90       p99       max`,
    ...rows,
    `run ${runId}: ${resultDir}`,
    '',
  ].join('\n');
}
