import type { Db } from '../../db.js';
import { toNullableNumber, toNumber } from '../../db.js';
import type {
  ClientGrant,
  ClientStore,
  RefreshToken,
  RefreshTokenStore,
  SigningKeyStore,
  StoredSigningKey,
} from './store.js';

interface TokenRow {
  id: string;
  family_id: string;
  user_id: string;
  token_hash: string;
  created_at: unknown;
  expires_at: unknown;
  used_at: unknown;
  revoked_at: unknown;
}

function toToken(r: TokenRow): RefreshToken {
  return {
    id: r.id,
    familyId: r.family_id,
    userId: r.user_id,
    tokenHash: r.token_hash,
    createdAt: toNumber(r.created_at),
    expiresAt: toNumber(r.expires_at),
    usedAt: toNullableNumber(r.used_at),
    revokedAt: toNullableNumber(r.revoked_at),
  };
}

export function createSqlRefreshTokenStore(db: Db): RefreshTokenStore {
  return {
    async insert(t) {
      await db('refresh_tokens').insert({
        id: t.id,
        family_id: t.familyId,
        user_id: t.userId,
        token_hash: t.tokenHash,
        created_at: t.createdAt,
        expires_at: t.expiresAt,
        used_at: t.usedAt,
        revoked_at: t.revokedAt,
      });
    },
    async findByHash(tokenHash) {
      const row = (await db('refresh_tokens').where('token_hash', tokenHash).first()) as
        TokenRow | undefined;
      return row ? toToken(row) : undefined;
    },
    async markUsed(id, now) {
      const n = await db('refresh_tokens')
        .where('id', id)
        .whereNull('used_at')
        .whereNull('revoked_at')
        .update({ used_at: now });
      return n === 1;
    },
    async revokeFamily(familyId, now) {
      await db('refresh_tokens')
        .where('family_id', familyId)
        .whereNull('revoked_at')
        .update({ revoked_at: now });
    },
    async revokeAllOfUser(userId, now) {
      await db('refresh_tokens')
        .where('user_id', userId)
        .whereNull('revoked_at')
        .update({ revoked_at: now });
    },
  };
}

export function createSqlSigningKeyStore(db: Db): SigningKeyStore {
  return {
    async list() {
      const rows = (await db('signing_keys').orderBy('created_at', 'desc')) as Array<{
        kid: string;
        alg: string;
        private_jwk: string;
        public_jwk: string;
        created_at: unknown;
        retired_at: unknown;
      }>;
      return rows.map((r): StoredSigningKey => ({
        kid: r.kid,
        alg: r.alg,
        privateJwk: r.private_jwk,
        publicJwk: r.public_jwk,
        createdAt: toNumber(r.created_at),
        retiredAt: toNullableNumber(r.retired_at),
      }));
    },
    async insert(k) {
      await db('signing_keys').insert({
        kid: k.kid,
        alg: k.alg,
        private_jwk: k.privateJwk,
        public_jwk: k.publicJwk,
        created_at: k.createdAt,
        retired_at: k.retiredAt,
      });
    },
    async retire(kid, now) {
      await db('signing_keys')
        .where('kid', kid)
        .whereNull('retired_at')
        .update({ retired_at: now });
    },
    async setPrivateJwk(kid, privateJwk) {
      await db('signing_keys').where('kid', kid).update({ private_jwk: privateJwk });
    },
  };
}

interface GrantRow {
  client_id: string;
  user_id: string;
  scopes: string;
  created_at: unknown;
}

function toGrant(r: GrantRow): ClientGrant {
  return {
    clientId: r.client_id,
    userId: r.user_id,
    scopes: JSON.parse(r.scopes) as string[],
    createdAt: toNumber(r.created_at),
  };
}

export function createSqlClientStore(db: Db): ClientStore {
  return {
    async insert(c) {
      await db('clients').insert({
        id: c.id,
        name: c.name,
        secret_hash: c.secretHash,
        scopes: JSON.stringify(c.scopes),
        created_at: c.createdAt,
        disabled_at: c.disabledAt,
      });
    },
    async findById(clientId) {
      const r = (await db('clients').where('id', clientId).first()) as
        | {
            id: string;
            name: string;
            secret_hash: string;
            scopes: string;
            created_at: unknown;
            disabled_at: unknown;
          }
        | undefined;
      return r
        ? {
            id: r.id,
            name: r.name,
            secretHash: r.secret_hash,
            scopes: JSON.parse(r.scopes) as string[],
            createdAt: toNumber(r.created_at),
            disabledAt: toNullableNumber(r.disabled_at),
          }
        : undefined;
    },
    async upsertGrant(g) {
      await db('client_grants')
        .insert({
          client_id: g.clientId,
          user_id: g.userId,
          scopes: JSON.stringify(g.scopes),
          created_at: g.createdAt,
        })
        .onConflict(['client_id', 'user_id'])
        .merge(['scopes']);
    },
    async removeGrant(clientId, userId) {
      return (
        (await db('client_grants').where({ client_id: clientId, user_id: userId }).delete()) > 0
      );
    },
    async findGrant(clientId, userId) {
      const r = (await db('client_grants')
        .where({ client_id: clientId, user_id: userId })
        .first()) as GrantRow | undefined;
      return r ? toGrant(r) : undefined;
    },
    async listGrantsOfClient(clientId) {
      return (
        (await db('client_grants').where('client_id', clientId).orderBy('user_id')) as GrantRow[]
      ).map(toGrant);
    },
  };
}
