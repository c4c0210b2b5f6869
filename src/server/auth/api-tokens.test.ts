import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ApiTokenStore, StoredApiToken } from '../../store/store-types.js';
import { createApiToken, createTokenVerifier, findApiToken, revokeApiToken, scopeGrants } from './api-tokens.js';

/** The token table in memory: the verifier and the use cases need nothing more. */
function memoryTokens(): ApiTokenStore & { rows: StoredApiToken[]; reads: number } {
  const rows: StoredApiToken[] = [];
  const self = {
    rows,
    reads: 0,
    insertApiToken: async (token: Omit<StoredApiToken, 'lastUsedAt' | 'revokedAt'>) => {
      rows.push({ ...token, lastUsedAt: undefined, revokedAt: undefined });
    },
    listApiTokens: async () => [...rows],
    getApiToken: async (id: string) => {
      self.reads += 1;
      return rows.find((row) => row.id === id);
    },
    revokeApiToken: async (id: string) => {
      const index = rows.findIndex((row) => row.id === id && !row.revokedAt);
      if (index < 0) return false;
      rows[index] = { ...rows[index]!, revokedAt: new Date().toISOString() };
      return true;
    },
    touchApiToken: async () => {},
  };
  return self;
}

test('a scope grants the ones below it and no more', () => {
  assert.deepEqual(
    (['read', 'write', 'admin'] as const).map((held) =>
      (['read', 'write', 'admin'] as const).map((needed) => scopeGrants(held, needed)),
    ),
    [
      [true, false, false],
      [true, true, false],
      [true, true, true],
    ],
  );
});

test('a created token is stored as its scrypt hash only, and verifies until revoked', async () => {
  const tokens = memoryTokens();
  const { token, info } = await createApiToken(tokens, { name: 'ci', scope: 'write' });
  const [, id, secret] = /^kitt_([0-9a-f]{12})_(.{43})$/.exec(token)!;
  assert.equal(id, info.id);
  const row = tokens.rows[0]!;
  assert.match(row.hash, /^scrypt\$32768\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
  assert.ok(!JSON.stringify(tokens.rows).includes(secret!), 'the secret is nowhere in the row');
  const verify = createTokenVerifier(tokens);
  assert.equal((await verify(token))?.name, 'ci');
  assert.equal((await verify(token))?.name, 'ci', 'the second check skips scrypt but still reads the row');
  assert.equal(tokens.reads, 2);
  const flipped = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
  assert.equal(await verify(flipped), undefined, 'one character off');
  assert.equal(await verify('Bearer nonsense'), undefined);
  await revokeApiToken(tokens, 'ci');
  assert.equal(await verify(token), undefined, 'revoked: refused at the next check');
});

test('names are plain and unique among live tokens; revoke finds by name or id', async () => {
  const tokens = memoryTokens();
  await assert.rejects(createApiToken(tokens, { name: 'has space', scope: 'read' }), /not a plain name/);
  await assert.rejects(createApiToken(tokens, { name: 'x', scope: 'root' as never }), /unknown token scope/);
  const first = await createApiToken(tokens, { name: 'bob', scope: 'read' });
  await assert.rejects(createApiToken(tokens, { name: 'bob', scope: 'read' }), /exists already/);
  await revokeApiToken(tokens, first.info.id);
  const second = await createApiToken(tokens, { name: 'bob', scope: 'admin' });
  assert.equal((await findApiToken(tokens, 'bob')).id, second.info.id, 'the name means the live one');
  assert.equal((await findApiToken(tokens, first.info.id)).revokedAt !== undefined, true);
  await assert.rejects(findApiToken(tokens, 'nobody'), (error: { message: string; hint: string }) => {
    assert.match(error.message, /no API token nobody/);
    assert.match(error.hint, /kitt server token list/);
    return true;
  });
});
