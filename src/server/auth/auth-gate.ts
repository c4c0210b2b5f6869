import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import type { ApiTokenScope, ApiTokenStore, StoredApiToken } from '../../store/store-types.js';
import { HttpError } from '../api/api-errors.js';
import { scopeGrants, type VerifyApiToken } from './api-tokens.js';
import { SESSION_COOKIE, type Sessions } from './sessions.js';

/** Who asks: a token (by bearer header or a dashboard session), or nobody on an open loopback server. */
export type Principal =
  | { readonly kind: 'token'; readonly token: StoredApiToken; readonly via: 'bearer' | 'session' }
  | { readonly kind: 'open' };

export type ServerEnv = { Variables: { principal: Principal } };

export interface AuthGateOptions {
  readonly tokens: ApiTokenStore;
  readonly verify: VerifyApiToken;
  readonly sessions: Sessions;
  /** True when the server listens on loopback only: then, while no token exists, reads are open. */
  readonly loopbackOnly: boolean;
  /** Where write and admin actions are logged, with the token's name (never the token). */
  readonly log: (line: string) => void;
}

/** last_used_at is written at most this often per token: a busy dashboard must not write on every read. */
const TOUCH_EVERY_MS = 60_000;

const UNAUTHORIZED_HINT = 'send Authorization: Bearer <token> (kitt server token create makes one)';

/**
 * The auth rule, in one place:
 * - a bearer token, when sent, must be valid (401 otherwise, even where reads are open);
 * - the session cookie of a dashboard sign-in stands for its token on reads (GET/HEAD) only, so a
 *   page of another site can never make the browser write (SameSite=Strict guards the cookie too);
 * - without either, reads are open only on a loopback server while no token was ever created;
 * - a scope grants what the ones below it do (read < write < admin), else 403.
 */
export function createAuthGate(options: AuthGateOptions) {
  const touched = new Map<string, number>();
  const touch = async (token: StoredApiToken) => {
    const now = Date.now();
    if (now - (touched.get(token.id) ?? 0) < TOUCH_EVERY_MS) return;
    touched.set(token.id, now);
    await options.tokens.touchApiToken(token.id);
  };

  async function identify(c: Context): Promise<Principal | undefined> {
    const header = c.req.header('authorization');
    if (header !== undefined) {
      const presented = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
      const token = presented ? await options.verify(presented) : undefined;
      if (!token)
        throw new HttpError(
          'UNAUTHORIZED',
          'the bearer token is not valid (unknown, revoked or malformed)',
          UNAUTHORIZED_HINT,
        );
      return { kind: 'token', token, via: 'bearer' };
    }
    if (c.req.method === 'GET' || c.req.method === 'HEAD') {
      const tokenId = options.sessions.tokenIdOf(getCookie(c, SESSION_COOKIE));
      const token = tokenId ? await options.tokens.getApiToken(tokenId) : undefined;
      if (token && !token.revokedAt) return { kind: 'token', token, via: 'session' };
    }
    return undefined;
  }

  /**
   * True while reads need no token: loopback, and no token ever created. A revoked token still
   * counts, so revoking the last one locks the server rather than opening it.
   */
  async function readsAreOpen(): Promise<boolean> {
    if (!options.loopbackOnly) return false;
    return (await options.tokens.listApiTokens()).length === 0;
  }

  function requireScope(scope: ApiTokenScope): MiddlewareHandler<ServerEnv> {
    return async (c, next) => {
      const principal = await identify(c);
      if (!principal) {
        if (scope !== 'read' || !(await readsAreOpen())) {
          throw new HttpError('UNAUTHORIZED', `this needs a token with the ${scope} scope`, UNAUTHORIZED_HINT);
        }
        c.set('principal', { kind: 'open' });
        return next();
      }
      if (principal.kind === 'token') {
        if (!scopeGrants(principal.token.scope, scope)) {
          throw new HttpError(
            'FORBIDDEN',
            `token ${principal.token.name} has the ${principal.token.scope} scope; this needs ${scope}`,
            `create a token with --scope ${scope}`,
          );
        }
        await touch(principal.token);
      }
      c.set('principal', principal);
      await next();
      if (scope !== 'read' && principal.kind === 'token') {
        const { name, id } = principal.token;
        options.log(
          `${new Date().toISOString()} ${scope} by token "${name}" (${id}): ${c.req.method} ${c.req.path} -> ${c.res.status}`,
        );
      }
    };
  }

  return { requireScope, identify, readsAreOpen };
}

export type AuthGate = ReturnType<typeof createAuthGate>;
