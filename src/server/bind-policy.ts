import { isIP } from 'node:net';
import { KittError } from '../core/errors.js';
import type { ApiTokenStore } from '../store/store-types.js';

/** True for addresses only this machine reaches: 127.0.0.0/8, ::1 and the name localhost. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost' || bare === '::1') return true;
  if (bare.startsWith('::ffff:')) return isLoopbackHost(bare.slice(7));
  return isIP(bare) === 4 && bare.startsWith('127.');
}

/**
 * A server other machines can reach must have auth: at least one API token. On loopback with no
 * token, reads are open (the machine's own users already reach its store); see docs/server.md.
 */
export async function checkBindAllowed(host: string, tokens: ApiTokenStore): Promise<void> {
  if (isLoopbackHost(host)) return;
  const active = (await tokens.listApiTokens()).filter((token) => !token.revokedAt);
  if (active.length > 0) return;
  throw new KittError('USAGE', `--host ${host} serves other machines, and no API token exists to guard it`, {
    hint: 'create one first with `kitt server token create --name admin --scope admin`, or bind --host 127.0.0.1',
  });
}
