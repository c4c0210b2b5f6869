import { randomBytes } from 'node:crypto';

/** How long a dashboard sign-in lasts. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
export const SESSION_COOKIE = 'kitt_session';

/**
 * Dashboard sessions in memory: a random id (the cookie) → the token it was opened with. They end
 * with the server; the token behind a session is looked up on every request, so revoking the token
 * ends its sessions too.
 */
export function createSessions(now: () => number = Date.now) {
  const sessions = new Map<string, { tokenId: string; expiresAt: number }>();
  const sweep = () => {
    const at = now();
    for (const [id, session] of sessions) if (session.expiresAt <= at) sessions.delete(id);
  };
  return {
    open(tokenId: string): string {
      sweep();
      const id = randomBytes(32).toString('base64url');
      sessions.set(id, { tokenId, expiresAt: now() + SESSION_TTL_MS });
      return id;
    },
    tokenIdOf(id: string | undefined): string | undefined {
      if (!id) return undefined;
      const session = sessions.get(id);
      if (!session) return undefined;
      if (session.expiresAt <= now()) {
        sessions.delete(id);
        return undefined;
      }
      return session.tokenId;
    },
    close(id: string | undefined): void {
      if (id) sessions.delete(id);
    },
  };
}

export type Sessions = ReturnType<typeof createSessions>;
