import type { CampaignPlan } from './plan-campaign.js';

/** What a host is, as far as the campaign's constraints ask. */
export interface HostFacts {
  readonly hostname: string;
  readonly gpuNames: readonly string[];
}

/**
 * The constraints a host does not meet, in words (empty when it meets them all). A GPU type matches
 * a GPU whose name contains it, case aside: `H100` matches `NVIDIA H100 80GB HBM3`.
 */
export function unmetConstraints(constraints: CampaignPlan['constraints'], host: HostFacts): string[] {
  const unmet: string[] = [];
  if (constraints.hosts && !constraints.hosts.includes(host.hostname)) {
    unmet.push(`this host, ${host.hostname}, is not one of constraints.hosts (${constraints.hosts.join(', ')})`);
  }
  if (constraints.gpuTypes) {
    const names = host.gpuNames.map((name) => name.toLowerCase());
    const matches = constraints.gpuTypes.some((type) => names.some((name) => name.includes(type.toLowerCase())));
    if (!matches) {
      const has = host.gpuNames.length > 0 ? host.gpuNames.join(', ') : 'no GPU';
      unmet.push(`this host has ${has}, none of constraints.gpuTypes (${constraints.gpuTypes.join(', ')})`);
    }
  }
  return unmet;
}
