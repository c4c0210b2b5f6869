import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CampaignStatus } from '../../app/campaign/campaign-status.js';
import { pushTargetFrom } from '../../app/push/push-target.js';
import { KittError } from '../../core/errors.js';
import { errorMessageOf, FleetClient, ServerUnreachable } from '../agent/fleet-client.js';
import type { CliContext } from '../cli-context.js';
import { renderStatus } from './campaign-render.js';

type FleetStatus = CampaignStatus & { finished: boolean };

const FOLLOW_EVERY_MS = 2_000;

/**
 * `kitt campaign run FILE --server URL`: submits the file to the server's fleet, follows its
 * cells until each is succeeded, dead or cancelled, and prints the status table `kitt campaign
 * status` prints. Ctrl-C stops following; the campaign goes on on the server.
 */
export async function runCampaignOnFleet(
  file: string,
  options: { server: string; tokenEnv: string | undefined },
  context: CliContext,
): Promise<void> {
  const client = new FleetClient(pushTargetFrom(options.server, context.env, options.tokenEnv));
  let content: string;
  try {
    content = readFileSync(file, 'utf8');
  } catch {
    throw new KittError('USAGE', `campaign file ${file} cannot be read`, {
      hint: 'give the path of a campaign YAML file',
    });
  }
  const submitted = await client.post('/campaigns', { content, source: resolve(file) });
  if (submitted.status !== 201) {
    throw new KittError('USAGE', `kitt server refused the campaign: ${errorMessageOf(submitted)}`, {
      hint: String(
        (submitted.json.error as { hint?: unknown } | undefined)?.hint ?? 'kitt campaign plan FILE names its problems',
      ),
    });
  }
  const id = String(submitted.json.id);
  context.progress.info(`campaign ${id}: ${submitted.json.cells} cells on the fleet, ${submitted.json.queued} queued`);
  const status = await follow(client, id, context);
  context.stdout.write(renderStatus(status));
  const dead = status.cells.filter((cell) => cell.state === 'dead');
  if (dead.length > 0) {
    throw new KittError(
      'ENGINE_FAILED',
      `${dead.length} of ${status.cells.length} cells are dead; cell ${dead[0]!.cellId}: ${dead[0]!.error ?? 'failed'}`,
      {
        hint: 'fix the cell, then submit the campaign again: cells that succeeded are not run again',
      },
    );
  }
}

async function follow(client: FleetClient, id: string, context: CliContext): Promise<FleetStatus> {
  let last = '';
  for (;;) {
    try {
      const answer = await client.get(`/campaigns/${encodeURIComponent(id)}`);
      if (answer.status !== 200) throw new KittError('USAGE', `kitt server: ${errorMessageOf(answer)}`);
      const status = answer.json as unknown as FleetStatus;
      const line = Object.entries(status.counts)
        .filter(([, n]) => n > 0)
        .map(([state, n]) => `${n} ${state}`)
        .join(', ');
      if (line !== last) context.progress.info(`campaign ${id}: ${line}`);
      last = line;
      if (status.finished) return status;
    } catch (error) {
      if (!(error instanceof ServerUnreachable)) throw error;
      context.progress.warn(`${error.message}; following again in ${FOLLOW_EVERY_MS / 1000} s`);
    }
    if (context.signal.aborted) throw context.signal.reason as KittError;
    await sleep(FOLLOW_EVERY_MS, undefined, { signal: context.signal }).catch(() => {});
  }
}
