import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { Store } from '../../store/store-types.js';
import { createApiToken, describeToken, revokeApiToken } from '../auth/api-tokens.js';
import type { AuthGate, ServerEnv } from '../auth/auth-gate.js';
import { ErrorSchema, TokenCreateSchema, TokenIdParamSchema, TokenInfoSchema } from './api-schemas.js';

const errors = {
  400: { description: 'invalid body', content: { 'application/json': { schema: ErrorSchema } } },
  401: { description: 'no valid token', content: { 'application/json': { schema: ErrorSchema } } },
  403: { description: 'the token lacks the admin scope', content: { 'application/json': { schema: ErrorSchema } } },
};
const security = [{ bearer: [] }];

const listRoute = createRoute({
  method: 'get',
  path: '/tokens',
  tags: ['tokens'],
  summary: 'the API tokens (never their secrets)',
  security,
  responses: {
    200: {
      description: 'tokens',
      content: { 'application/json': { schema: z.object({ tokens: z.array(TokenInfoSchema) }) } },
    },
    ...errors,
  },
});

const createTokenRoute = createRoute({
  method: 'post',
  path: '/tokens',
  tags: ['tokens'],
  summary: 'create a token: the answer shows it once',
  security,
  request: { body: { content: { 'application/json': { schema: TokenCreateSchema } }, required: true } },
  responses: {
    201: {
      description: 'the token, shown this once',
      content: { 'application/json': { schema: z.object({ token: z.string(), info: TokenInfoSchema }) } },
    },
    ...errors,
  },
});

const revokeRoute = createRoute({
  method: 'delete',
  path: '/tokens/{id}',
  tags: ['tokens'],
  summary: 'revoke a token by id or name; it stops working at its next request',
  security,
  request: { params: TokenIdParamSchema },
  responses: {
    200: { description: 'the revoked token', content: { 'application/json': { schema: TokenInfoSchema } } },
    ...errors,
  },
});

/** Token management over HTTP, admin scope only: the same use cases as `kitt server token`. */
export function addTokenRoutes(api: OpenAPIHono<ServerEnv>, store: Store, gate: AuthGate): void {
  const admin = gate.requireScope('admin');
  api.use('/tokens/*', admin);

  api.openapi(listRoute, async (c) => c.json({ tokens: (await store.listApiTokens()).map(describeToken) }, 200));

  api.openapi(createTokenRoute, async (c) => {
    const created = await createApiToken(store, c.req.valid('json'));
    c.header('cache-control', 'no-store');
    return c.json(created, 201);
  });

  api.openapi(revokeRoute, async (c) => c.json(await revokeApiToken(store, c.req.valid('param').id), 200));
}
