/**
 * The OpenAPI 3.1 document of wallet-api, served at /openapi.json. Request bodies come from the zod
 * schemas the handlers parse with (one source of truth); responses from the view schemas below,
 * which the tests check every response against.
 */
import { z } from 'zod';
import {
  baseOpenApiDocument,
  extendOpenApiDocument,
  problemResponseRef,
} from '@spendstream/core/http';
import type { OpenApiDocument } from '@spendstream/core/http';
import {
  changePasswordBodySchema,
  clientTokenBodySchema,
  deleteAccountBodySchema,
  updateSettingsBodySchema,
  grantBodySchema,
  loginBodySchema,
  refreshBodySchema,
  registerBodySchema,
  registerClientBodySchema,
} from './features/auth/schema.js';
import {
  movementBodySchema,
  reversalBodySchema,
  transferBodySchema,
} from './features/ledger/schema.js';
import {
  createWalletBodySchema,
  memberBodySchema,
  updateWalletBodySchema,
} from './features/wallets/schema.js';

const minor = z
  .string()
  .regex(/^-?(0|[1-9][0-9]*)$/)
  .describe('Integer minor units as a decimal string.');
const isoTime = z.string().describe('ISO 8601 date-time.');

export const userViewSchema = z.strictObject({
  id: z.string(),
  email: z.string(),
  displayName: z.string(),
  homeCurrency: z.string(),
  timeZone: z.string(),
  locale: z.string().describe('BCP 47 display locale.'),
  settingsRevision: z
    .number()
    .int()
    .describe(
      'Revision of the settings snapshot on ref.user-settings: 0 at registration, +1 per change.',
    ),
  isAdmin: z.boolean(),
  createdAt: isoTime,
});

export const tokenPairViewSchema = z.strictObject({
  accessToken: z.string(),
  tokenType: z.literal('Bearer'),
  expiresIn: z.number().int(),
  refreshToken: z.string(),
});

export const clientTokenViewSchema = z.strictObject({
  access_token: z.string(),
  token_type: z.literal('Bearer'),
  expires_in: z.number().int(),
  scope: z.string(),
});

export const clientViewSchema = z.strictObject({
  clientId: z.string(),
  clientSecret: z.string(),
  name: z.string(),
  scopes: z.array(z.string()),
});

export const grantViewSchema = z.strictObject({
  clientId: z.string(),
  scopes: z.array(z.string()),
});

export const walletViewSchema = z.strictObject({
  id: z.string(),
  ownerId: z.string(),
  name: z.string(),
  type: z.enum(['cash', 'bank', 'card', 'savings']),
  currency: z.string(),
  balance: minor,
  overdraftLimit: minor,
  role: z.enum(['owner', 'editor', 'viewer']),
  archived: z.boolean(),
  createdAt: isoTime,
  updatedAt: isoTime,
});

export const memberViewSchema = z.strictObject({
  userId: z.string(),
  role: z.enum(['owner', 'editor', 'viewer']),
  since: isoTime,
});

export const movementViewSchema = z.strictObject({
  id: z.string(),
  kind: z.enum(['income', 'expense', 'transfer', 'reversal']),
  walletId: z.string(),
  amount: minor,
  currency: z.string(),
  counterWalletId: z.string().nullable(),
  counterAmount: minor.nullable(),
  counterCurrency: z.string().nullable(),
  rate: z.string().nullable(),
  rounding: z.string().nullable(),
  category: z.string().nullable(),
  merchant: z.string().nullable(),
  note: z.string().nullable(),
  tags: z.array(z.string()),
  occurredAt: isoTime,
  reversesId: z.string().nullable(),
  createdBy: z.string(),
  createdAt: isoTime,
});

const page = (item: z.ZodType) =>
  z.strictObject({ items: z.array(item), nextCursor: z.string().nullable() });

function json(schema: z.ZodType, io: 'input' | 'output' = 'output'): unknown {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, {
    io,
    unrepresentable: 'any',
  }) as Record<string, unknown>;
  return rest;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

function body(schema: z.ZodType) {
  return { required: true, content: { 'application/json': { schema: json(schema, 'input') } } };
}

function ok(
  status: string,
  description: string,
  schemaName?: string,
  extra: Record<string, unknown> = {},
) {
  return {
    [status]:
      schemaName === undefined
        ? { description }
        : { description, content: { 'application/json': { schema: ref(schemaName) } } },
    ...extra,
  };
}

const errors = (...statuses: Array<400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 429 | 503>) =>
  Object.fromEntries(statuses.map((s) => [String(s), problemResponseRef(s)]));

const bearer = [{ bearer: [] }];
const idempotencyKey = {
  name: 'Idempotency-Key',
  in: 'header',
  required: true,
  schema: { type: 'string', minLength: 1, maxLength: 255 },
  description: 'Same key and body replays the first response (24 h); another body is a 409.',
};
const idempotencyKeyOptional = { ...idempotencyKey, required: false };
const onBehalfOf = {
  name: 'On-Behalf-Of',
  in: 'header',
  required: false,
  schema: { type: 'string' },
  description: 'Machine clients: the user id they act for (must have granted the client).',
};
const pathParam = (name: string) => ({
  name,
  in: 'path',
  required: true,
  schema: { type: 'string' },
});
const pageParams = [
  {
    name: 'limit',
    in: 'query',
    required: false,
    schema: { type: 'integer', minimum: 1, maximum: 200 },
  },
  { name: 'cursor', in: 'query', required: false, schema: { type: 'string', maxLength: 1024 } },
];

export function walletOpenApiDocument(version: string): OpenApiDocument {
  const base = baseOpenApiDocument({
    title: 'Spendstream wallet API',
    version,
    description: 'Users, tokens, wallets and the double-entry ledger.',
  });
  const doc = extendOpenApiDocument(base, {
    tags: [{ name: 'auth' }, { name: 'wallets' }, { name: 'movements' }, { name: 'operations' }],
    schemas: {
      User: json(userViewSchema),
      TokenPair: json(tokenPairViewSchema),
      ClientToken: json(clientTokenViewSchema),
      Client: json(clientViewSchema),
      Grant: json(grantViewSchema),
      Wallet: json(walletViewSchema),
      WalletPage: json(page(walletViewSchema)),
      Member: json(memberViewSchema),
      MemberList: json(z.strictObject({ items: z.array(memberViewSchema) })),
      Movement: json(movementViewSchema),
      MovementPage: json(page(movementViewSchema)),
      Jwks: {
        type: 'object',
        required: ['keys'],
        properties: { keys: { type: 'array', items: { type: 'object' } } },
      },
    },
    paths: {
      '/.well-known/jwks.json': {
        get: {
          tags: ['auth'],
          summary: 'Public keys that verify access tokens',
          responses: ok('200', 'the key set', 'Jwks'),
        },
      },
      '/v1/auth/register': {
        post: {
          tags: ['auth'],
          summary: 'Create an account',
          requestBody: body(registerBodySchema),
          responses: ok('201', 'created', 'User', errors(400, 409, 413, 415)),
        },
      },
      '/v1/auth/login': {
        post: {
          tags: ['auth'],
          summary: 'Log in: an access token and a refresh token',
          requestBody: body(loginBodySchema),
          responses: ok('200', 'logged in', 'TokenPair', errors(400, 401, 429)),
        },
      },
      '/v1/auth/refresh': {
        post: {
          tags: ['auth'],
          summary: 'Rotate a refresh token (a reused one revokes its family)',
          requestBody: body(refreshBodySchema),
          responses: ok('200', 'new pair', 'TokenPair', errors(400, 401)),
        },
      },
      '/v1/auth/logout': {
        post: {
          tags: ['auth'],
          security: bearer,
          summary: 'Revoke this login (its refresh-token family)',
          requestBody: body(refreshBodySchema),
          responses: ok('204', 'logged out', undefined, errors(400, 401)),
        },
      },
      '/v1/auth/password': {
        post: {
          tags: ['auth'],
          security: bearer,
          summary: 'Change the password (ends every session)',
          requestBody: body(changePasswordBodySchema),
          responses: ok('204', 'changed', undefined, errors(400, 401, 429)),
        },
      },
      '/v1/me': {
        get: {
          tags: ['auth'],
          security: bearer,
          summary: 'The account',
          responses: ok('200', 'the account', 'User', errors(401, 403)),
        },
        patch: {
          tags: ['auth'],
          security: bearer,
          summary:
            'Change display name, home currency, time zone or locale; each change publishes a new user_settings.snapshot',
          requestBody: body(updateSettingsBodySchema),
          responses: ok('200', 'the account after the change', 'User', errors(400, 401, 403, 415)),
        },
        delete: {
          tags: ['auth'],
          security: bearer,
          summary: 'Delete the account',
          requestBody: body(deleteAccountBodySchema),
          responses: ok('204', 'deleted', undefined, errors(400, 401)),
        },
      },
      '/v1/me/grants/{clientId}': {
        put: {
          tags: ['auth'],
          security: bearer,
          parameters: [pathParam('clientId')],
          summary: 'Let a machine client act for me',
          requestBody: body(grantBodySchema),
          responses: ok('200', 'granted', 'Grant', errors(400, 401, 404)),
        },
        delete: {
          tags: ['auth'],
          security: bearer,
          parameters: [pathParam('clientId')],
          summary: 'Withdraw a grant',
          responses: ok('204', 'withdrawn', undefined, errors(401, 404)),
        },
      },
      '/v1/oauth/token': {
        post: {
          tags: ['auth'],
          summary: 'Client credentials: a scoped token for a machine client',
          requestBody: body(clientTokenBodySchema),
          responses: ok('200', 'token', 'ClientToken', errors(400, 401, 429)),
        },
      },
      '/v1/clients': {
        post: {
          tags: ['auth'],
          security: bearer,
          summary: 'Register a machine client (admins)',
          requestBody: body(registerClientBodySchema),
          responses: ok(
            '201',
            'registered; the secret is shown once',
            'Client',
            errors(400, 401, 403),
          ),
        },
      },
      '/v1/wallets': {
        post: {
          tags: ['wallets'],
          security: bearer,
          parameters: [idempotencyKeyOptional, onBehalfOf],
          summary: 'Create a wallet',
          requestBody: body(createWalletBodySchema),
          responses: ok('201', 'created', 'Wallet', errors(400, 401, 403, 409)),
        },
        get: {
          tags: ['wallets'],
          security: bearer,
          parameters: [...pageParams, onBehalfOf],
          summary: 'Wallets I am a member of',
          responses: ok('200', 'a page', 'WalletPage', errors(400, 401, 403)),
        },
      },
      '/v1/wallets/{id}': {
        get: {
          tags: ['wallets'],
          security: bearer,
          parameters: [pathParam('id'), onBehalfOf],
          summary: 'A wallet',
          responses: ok('200', 'the wallet', 'Wallet', errors(401, 403, 404)),
        },
        patch: {
          tags: ['wallets'],
          security: bearer,
          parameters: [pathParam('id'), onBehalfOf],
          summary: 'Rename, archive, set the overdraft limit (owner)',
          requestBody: body(updateWalletBodySchema),
          responses: ok('200', 'updated', 'Wallet', errors(400, 401, 403, 404, 409)),
        },
      },
      '/v1/wallets/{id}/members': {
        get: {
          tags: ['wallets'],
          security: bearer,
          parameters: [pathParam('id'), onBehalfOf],
          summary: 'Members of a shared wallet',
          responses: ok('200', 'members', 'MemberList', errors(401, 403, 404)),
        },
        put: {
          tags: ['wallets'],
          security: bearer,
          parameters: [pathParam('id'), onBehalfOf],
          summary: 'Share the wallet or change a role (owner)',
          requestBody: body(memberBodySchema),
          responses: ok('200', 'member', 'Member', errors(400, 401, 403, 404, 409)),
        },
      },
      '/v1/wallets/{id}/members/{userId}': {
        delete: {
          tags: ['wallets'],
          security: bearer,
          parameters: [pathParam('id'), pathParam('userId'), onBehalfOf],
          summary: 'Remove a member (or leave)',
          responses: ok('204', 'removed', undefined, errors(400, 401, 403, 404)),
        },
      },
      '/v1/wallets/{id}/movements': {
        get: {
          tags: ['movements'],
          security: bearer,
          parameters: [pathParam('id'), ...pageParams, onBehalfOf],
          summary: 'Movements of a wallet, newest first',
          responses: ok('200', 'a page', 'MovementPage', errors(400, 401, 403, 404)),
        },
      },
      '/v1/movements': {
        post: {
          tags: ['movements'],
          security: bearer,
          parameters: [idempotencyKey, onBehalfOf],
          summary: 'Record income or an expense',
          requestBody: body(movementBodySchema),
          responses: ok(
            '201',
            'recorded',
            'Movement',
            errors(400, 401, 403, 404, 409, 413, 415, 422),
          ),
        },
      },
      '/v1/transfers': {
        post: {
          tags: ['movements'],
          security: bearer,
          parameters: [idempotencyKey, onBehalfOf],
          summary: 'Transfer between wallets, converting at the given rate when currencies differ',
          requestBody: body(transferBodySchema),
          responses: ok('201', 'recorded', 'Movement', errors(400, 401, 403, 404, 409, 422)),
        },
      },
      '/v1/movements/{id}': {
        get: {
          tags: ['movements'],
          security: bearer,
          parameters: [pathParam('id'), onBehalfOf],
          summary: 'A movement',
          responses: ok('200', 'the movement', 'Movement', errors(401, 403, 404)),
        },
      },
      '/v1/movements/{id}/reversal': {
        post: {
          tags: ['movements'],
          security: bearer,
          parameters: [pathParam('id'), idempotencyKey, onBehalfOf],
          summary: 'Reverse a movement with a compensating one',
          requestBody: { ...body(reversalBodySchema), required: false },
          responses: ok('201', 'reversed', 'Movement', errors(400, 401, 403, 404, 409, 422)),
        },
      },
    },
  });
  return {
    ...doc,
    components: {
      ...doc.components,
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
    },
  };
}
