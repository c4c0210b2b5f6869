import type { Command } from 'commander';
import { type KubernetesFlags, planKubernetesRun, RUNTIMES } from '../../app/run/kubernetes-run-plan.js';
import type { RunFlags } from '../../app/run/run-plan.js';
import type { KittConfig } from '../../config/config-schema.js';
import { KittError } from '../../core/errors.js';
import { newRunId } from '../../core/ids.js';
import { manifestsYaml, validateManifests } from '../../runtime/kubernetes/validate-manifests.js';
import type { CliContext } from '../cli-context.js';

/** The flags `kitt run` takes for a cluster. */
export interface KubernetesRunFlags extends KubernetesFlags {
  readonly dryRun?: boolean;
}

/** Adds `--runtime` and the flags that only mean something with `--runtime kubernetes`. */
export function addKubernetesOptions(command: Command): Command {
  return command
    .option('--runtime <runtime>', `where the engine runs: ${RUNTIMES.join(', ')} (default local: --mode decides)`)
    .option('--namespace <ns>', 'with --runtime kubernetes: the namespace (default: default)')
    .option(
      '--model-pvc <claim>',
      'with --runtime kubernetes: the PersistentVolumeClaim holding -m (else -m is a node path)',
    )
    .option('--kitt-image <image>', "with --runtime kubernetes: kitt's image for the load Job (default kitt:local)")
    .option('--dry-run', 'with --runtime kubernetes: print the manifests as YAML and start nothing');
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

/**
 * `kitt run --runtime kubernetes`: plans the run for the cluster and, with --dry-run, prints its
 * manifests (schema-validated) as one multi-document YAML stream. Creating them is not wired yet:
 * without --dry-run the run is refused before anything is contacted.
 */
export async function runOnKubernetes(
  flags: RunFlags & KubernetesRunFlags,
  config: KittConfig,
  context: CliContext,
): Promise<void> {
  const plan = await planKubernetesRun(flags, config, { runId: newRunId(), env: context.env });
  validateManifests(plan.manifests);
  if (!flags.dryRun) {
    throw new KittError('USAGE', 'kitt run --runtime kubernetes creates nothing yet: only --dry-run is available', {
      hint: 'add --dry-run and apply the manifests with kubectl apply -f -',
    });
  }
  context.stdout.write(manifestsYaml(plan.manifests));
}
