import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { KittError } from '../../core/errors.js';
import type { ApiTokenScope, ApiTokenStore, StoredApiToken } from '../../store/store-types.js';

/** read < write < admin: a scope grants everything the ones below it do. */
export const TOKEN_SCOPES: readonly ApiTokenScope[] = ['read', 'write', 'admin'];

export function scopeGrants(held: ApiTokenScope, needed: ApiTokenScope): boolean {
  return TOKEN_SCOPES.indexOf(held) >= TOKEN_SCOPES.indexOf(needed);
}

const scryptAsync = promisify(scrypt) as (
  secret: string,
  salt: Buffer,
  length: number,
  options: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>;

/**
 * scrypt at N=2^15, r=8, p=1 (32 MiB, tens of milliseconds): OWASP's floor for password hashes.
 * The secrets are 256 random bits, so the hash guards a leaked store rather than a guessable one;
 * the parameters live in the stored string, so raising them later keeps old tokens valid.
 */
const SCRYPT = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const HASH_BYTES = 32;
const TOKEN_PATTERN = /^kitt_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

/** A token as a person sees it: everything but the secret and its hash. */
export interface ApiTokenInfo {
  readonly id: string;
  readonly name: string;
  readonly scope: ApiTokenScope;
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
  readonly revokedAt: string | null;
}

export const describeToken = (token: StoredApiToken): ApiTokenInfo => ({
  id: token.id,
  name: token.name,
  scope: token.scope,
  createdAt: token.createdAt,
  lastUsedAt: token.lastUsedAt ?? null,
  revokedAt: token.revokedAt ?? null,
});

async function hashSecret(secret: string, salt: Buffer, params = SCRYPT): Promise<string> {
  const hash = await scryptAsync(secret, salt, HASH_BYTES, params);
  return `scrypt$${params.N}$${params.r}$${params.p}$${salt.toString('base64url')}$${hash.toString('base64url')}`;
}

async function secretMatches(secret: string, stored: string): Promise<boolean> {
  const [kind, n, r, p, salt, hash] = stored.split('$');
  if (kind !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const params = { N: Number(n), r: Number(r), p: Number(p), maxmem: SCRYPT.maxmem };
  const actual = await scryptAsync(secret, Buffer.from(salt, 'base64url'), expected.length, params);
  return timingSafeEqual(actual, expected);
}

/**
 * Creates a token: `kitt_<id>_<secret>`, the id public (it finds the row), the secret 256 random
 * bits stored only as its scrypt hash. The token itself is returned once and never again.
 */
export async function createApiToken(
  store: ApiTokenStore,
  request: { readonly name: string; readonly scope: ApiTokenScope },
): Promise<{ token: string; info: ApiTokenInfo }> {
  if (!NAME_PATTERN.test(request.name)) {
    throw new KittError('USAGE', `token name "${request.name}" is not a plain name`, {
      hint: 'use up to 64 letters, digits and . _ @ -, starting with a letter or digit',
    });
  }
  if (!TOKEN_SCOPES.includes(request.scope)) {
    throw new KittError('USAGE', `unknown token scope "${request.scope}"`, { hint: 'use read, write or admin' });
  }
  const active = (await store.listApiTokens()).filter((token) => !token.revokedAt);
  if (active.some((token) => token.name === request.name)) {
    throw new KittError('USAGE', `a token named ${request.name} exists already`, {
      hint: 'pick another --name, or revoke the old one with `kitt server token revoke`',
    });
  }
  const id = randomBytes(6).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  const stored = {
    id,
    name: request.name,
    scope: request.scope,
    hash: await hashSecret(secret, randomBytes(16)),
    createdAt: new Date().toISOString(),
  };
  await store.insertApiToken(stored);
  return {
    token: `kitt_${id}_${secret}`,
    info: describeToken({ ...stored, lastUsedAt: undefined, revokedAt: undefined }),
  };
}

/** The token a name or id means: an active one by name, else any by id; neither is a usage error. */
export async function findApiToken(store: ApiTokenStore, nameOrId: string): Promise<StoredApiToken> {
  const tokens = await store.listApiTokens();
  const found =
    tokens.find((token) => token.name === nameOrId && !token.revokedAt) ??
    tokens.find((token) => token.id === nameOrId);
  if (!found) {
    throw new KittError('USAGE', `no API token ${nameOrId}`, { hint: 'kitt server token list shows the tokens' });
  }
  return found;
}

/** Revokes by name or id; a token revoked already stays as it was (revoking twice is no error). */
export async function revokeApiToken(store: ApiTokenStore, nameOrId: string): Promise<ApiTokenInfo> {
  const token = await findApiToken(store, nameOrId);
  await store.revokeApiToken(token.id);
  return describeToken((await store.getApiToken(token.id)) ?? token);
}

/**
 * Checks presented tokens against the store. A token's first use costs one scrypt; its digest is
 * then remembered (the SHA-256 of the token, not the token), so later requests cost one row read —
 * which they always pay, so a token revoked from another process stops working at its next request.
 */
export function createTokenVerifier(store: ApiTokenStore) {
  const verified = new Map<string, Buffer>();
  return async function verifyApiToken(presented: string): Promise<StoredApiToken | undefined> {
    const match = TOKEN_PATTERN.exec(presented);
    if (!match) return undefined;
    const [, id, secret] = match as unknown as [string, string, string];
    const token = await store.getApiToken(id);
    if (!token || token.revokedAt) {
      verified.delete(id);
      return undefined;
    }
    const digest = createHash('sha256').update(presented).digest();
    const known = verified.get(id);
    if (known ? !timingSafeEqual(known, digest) : !(await secretMatches(secret, token.hash))) return undefined;
    verified.set(id, digest);
    return token;
  };
}

export type VerifyApiToken = ReturnType<typeof createTokenVerifier>;
