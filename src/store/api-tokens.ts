import type { Kysely } from 'kysely';
import { type StoreSchema, toApiToken } from './store-schema.js';
import type { ApiTokenStore } from './store-types.js';

/** The api_tokens table (migration 0003) behind the store's token methods. */
export function apiTokenStore(db: Kysely<StoreSchema>): ApiTokenStore {
  return {
    insertApiToken: async (token) => {
      await db
        .insertInto('api_tokens')
        .values({
          id: token.id,
          name: token.name,
          scope: token.scope,
          hash: token.hash,
          created_at: token.createdAt,
          last_used_at: null,
          revoked_at: null,
        })
        .execute();
    },
    listApiTokens: async () =>
      (await db.selectFrom('api_tokens').selectAll().orderBy('created_at', 'asc').orderBy('id').execute()).map(
        toApiToken,
      ),
    getApiToken: async (id) => {
      const row = await db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toApiToken(row) : undefined;
    },
    revokeApiToken: async (id, at = new Date()) => {
      const result = await db
        .updateTable('api_tokens')
        .set({ revoked_at: at.toISOString() })
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
    touchApiToken: async (id, at = new Date()) => {
      await db.updateTable('api_tokens').set({ last_used_at: at.toISOString() }).where('id', '=', id).execute();
    },
  };
}
