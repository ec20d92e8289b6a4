/**
 * Accounts and tokens: register, login (rate-limited per account and per address, one answer for
 * an unknown email and a wrong password), short-lived access JWTs, opaque refresh tokens stored
 * hashed and rotated on every use (reusing a spent one revokes its whole family), logout, password
 * change (revokes every session), account deletion; and machine clients with client credentials,
 * whose tokens name the users who granted them access.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  accessTokenTtlSecondsDefault,
  signAccessToken,
  userScopesDefault,
} from '@spendstream/core/auth';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  UnauthorizedError,
  ValidationError,
} from '@spendstream/core/errors';
import { newId } from '../../ids.js';
import type { CurrencyCode } from '@spendstream/core/currencies';
import { encodeEvent, eventTypes, topics } from '@spendstream/core/events';
import { eventSource } from '../ledger/events.js';
import type { OutboxEvent } from '../outbox/store.js';
import type { Stores, UnitOfWork } from '../../stores.js';
import { appendWalletsSnapshots } from '../wallets/snapshot.js';
import type { User, UserSettingsChanges } from '../users/store.js';
import type { KeyRing } from './keys.js';
import { decoyHash, hashPassword, verifyPassword } from './passwords.js';
import { createRateLimiter } from '../rate-limits/limiter.js';
import type { RateLimiter } from '../rate-limits/limiter.js';
import type { z } from 'zod';
import type {
  clientTokenBodySchema,
  RegisterBody,
  registerClientBodySchema,
  UpdateSettingsBody,
} from './schema.js';

/** Refresh tokens live 30 days from their family's last rotation. */
export const refreshTokenTtlMs = 30 * 24 * 3600 * 1000;
/** Failed logins per account per window before 429. */
export const loginFailuresPerAccountMax = 5;
/** Login attempts per client address per window before 429. */
export const loginAttemptsPerAddressMax = 30;
export const loginWindowMs = 15 * 60 * 1000;
/** Most users one machine client token may name (core's userIdsPerTokenMax). */
export const clientGrantsPerTokenMax = 1000;

export interface TokenPair {
  accessToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
  refreshToken: string;
}

export interface AuthServiceOptions {
  uow: UnitOfWork;
  keys: KeyRing;
  issuer: string;
  audience: string;
  /** Emails that become admins at registration (they register machine clients). */
  adminEmails?: readonly string[];
  accessTokenTtlSeconds?: number;
  now?: () => number;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function opaqueToken(prefix: string): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

const invalidLogin = () =>
  new UnauthorizedError('invalid email or password', { field: 'password' });
const invalidRefresh = () =>
  new UnauthorizedError('invalid refresh token', { field: 'refreshToken' });
const invalidClient = () =>
  new UnauthorizedError('invalid client credentials', { field: 'client_id' });

export type AuthService = ReturnType<typeof createAuthService>;

export function createAuthService(options: AuthServiceOptions) {
  const { uow, keys } = options;
  const now = options.now ?? Date.now;
  const ttlSeconds = options.accessTokenTtlSeconds ?? accessTokenTtlSecondsDefault;
  const admins = new Set((options.adminEmails ?? []).map((e) => e.toLowerCase()));
  // Both limits live in the database, shared by every instance (see rate-limits/limiter.ts).
  const perAccount: RateLimiter = createRateLimiter({
    uow,
    scope: 'login-account',
    limit: loginFailuresPerAccountMax,
    windowMs: loginWindowMs,
    what: 'failed logins for this account',
  });
  const perAddress: RateLimiter = createRateLimiter({
    uow,
    scope: 'login-address',
    limit: loginAttemptsPerAddressMax,
    windowMs: loginWindowMs,
    what: 'login attempts from this address',
  });

  async function issuePair(stores: Stores, userId: string, familyId: string): Promise<TokenPair> {
    const refreshToken = opaqueToken('rt');
    const at = now();
    await stores.refreshTokens.insert({
      id: newId(at),
      familyId,
      userId,
      tokenHash: sha256(refreshToken),
      createdAt: at,
      expiresAt: at + refreshTokenTtlMs,
      usedAt: null,
      revokedAt: null,
    });
    const accessToken = await signAccessToken(keys.signingKey(), {
      issuer: options.issuer,
      audience: options.audience,
      subject: userId,
      scopes: userScopesDefault,
      ttlSeconds,
      issuedAt: new Date(at),
    });
    return { accessToken, tokenType: 'Bearer', expiresIn: ttlSeconds, refreshToken };
  }

  return {
    async register(body: RegisterBody): Promise<User> {
      const at = now();
      const user: User = {
        id: newId(at),
        email: body.email,
        displayName: body.displayName,
        homeCurrency: body.homeCurrency,
        timeZone: body.timeZone,
        locale: body.locale ?? 'en-US',
        settingsRevision: 0,
        isAdmin: admins.has(body.email),
        createdAt: at,
        updatedAt: at,
      };
      const passwordHash = await hashPassword(body.password);
      // The settings snapshot goes out through the outbox with the account: the stream jobs and
      // analytics cut this user's windows in this zone and sum in this currency.
      const inserted = await uow.transaction(async (s) => {
        if (!(await s.users.insert({ ...user, passwordHash }))) return false;
        await s.outbox.append([userSettingsEvent(user, 0)]);
        return true;
      });
      if (!inserted)
        throw new ConflictError('an account with this email exists', { field: 'email' });
      return user;
    },

    async login(email: string, password: string, address: string): Promise<TokenPair> {
      // Every attempt counts before the password is checked (atomically, in the shared table), so
      // concurrent guesses on several instances cannot slip past the limit; success clears the
      // account's count, failures stay counted.
      await perAddress.consume(address);
      await perAccount.consume(email);
      const user = await uow.read.users.findSecretByEmail(email);
      // Same work and same answer whether the email is unknown or the password wrong.
      const ok = await verifyPassword(password, user?.passwordHash ?? decoyHash);
      if (!user || !ok) throw invalidLogin();
      await perAccount.reset(email);
      return uow.transaction((s) => issuePair(s, user.id, newId()));
    },

    async refresh(refreshToken: string): Promise<TokenPair> {
      const outcome = await uow.transaction(async (s) => {
        const token = await s.refreshTokens.findByHash(sha256(refreshToken));
        if (!token || token.revokedAt !== null || token.expiresAt <= now())
          return { kind: 'invalid' as const };
        if (token.usedAt !== null || !(await s.refreshTokens.markUsed(token.id, now()))) {
          return { kind: 'reused' as const, familyId: token.familyId };
        }
        if (!(await s.users.findById(token.userId))) return { kind: 'invalid' as const };
        return { kind: 'ok' as const, pair: await issuePair(s, token.userId, token.familyId) };
      });
      if (outcome.kind === 'reused') {
        // A spent token came back: someone holds a copy. Revoke the whole family, in its own commit.
        await uow.transaction((s) => s.refreshTokens.revokeFamily(outcome.familyId, now()));
        throw new UnauthorizedError(
          'refresh token reuse detected: every session of this login is revoked',
          { field: 'refreshToken' },
        );
      }
      if (outcome.kind === 'invalid') throw invalidRefresh();
      return outcome.pair;
    },

    async logout(userId: string, refreshToken: string): Promise<void> {
      await uow.transaction(async (s) => {
        const token = await s.refreshTokens.findByHash(sha256(refreshToken));
        if (token && token.userId === userId)
          await s.refreshTokens.revokeFamily(token.familyId, now());
      });
    },

    async changePassword(
      userId: string,
      currentPassword: string,
      newPassword: string,
    ): Promise<void> {
      const user = await uow.read.users.findSecretById(userId);
      if (!user) throw new UnauthorizedError('the account no longer exists');
      // As at login: the attempt counts (atomically) before the password is checked, so concurrent
      // guesses through a stolen access token cannot slip past the limit; success clears it.
      await perAccount.consume(user.email);
      if (!(await verifyPassword(currentPassword, user.passwordHash)))
        throw new UnauthorizedError('the current password is wrong', { field: 'currentPassword' });
      await perAccount.reset(user.email);
      const hash = await hashPassword(newPassword);
      await uow.transaction(async (s) => {
        await s.users.setPasswordHash(userId, hash, now());
        await s.refreshTokens.revokeAllOfUser(userId, now());
      });
    },

    /** Delete the account: personal data goes, owned wallets are archived, shares end, sessions end. The ledger keeps its (anonymous) rows: money history is never deleted. */
    async deleteAccount(userId: string, password: string): Promise<void> {
      const user = await uow.read.users.findSecretById(userId);
      if (!user) throw new UnauthorizedError('the account no longer exists');
      if (!(await verifyPassword(password, user.passwordHash)))
        throw new UnauthorizedError('the password is wrong', { field: 'password' });
      await uow.transaction(async (s) => {
        const at = now();
        // Everyone who shared a wallet with this user gets a snapshot without it: the members of
        // the wallets they owned, and the owners of the wallets they were a member of.
        const concerned = new Set<string>([userId]);
        for (const walletId of await s.wallets.listOwnedIds(userId)) {
          await s.wallets.update(walletId, { archivedAt: at }, at);
          for (const m of await s.wallets.listMembers(walletId)) {
            concerned.add(m.userId);
            await s.wallets.removeMember(walletId, m.userId);
          }
        }
        for (const walletId of await s.wallets.listSharedIds(userId)) {
          const wallet = await s.wallets.findById(walletId);
          if (wallet) concerned.add(wallet.ownerId);
          await s.wallets.removeMember(walletId, userId);
        }
        await s.refreshTokens.revokeAllOfUser(userId, at);
        // The user's own last snapshot (their wallets closed, nothing shared) before the row goes.
        await appendWalletsSnapshots(s, concerned, at);
        await s.users.delete(userId);
      });
    },

    /**
     * Change the user's settings. A change that alters something publishes the new snapshot on
     * `ref.user-settings` with the next revision, in the same transaction (the user row stays
     * locked from the update to commit, so revisions are gap-free in commit order); a request that
     * changes nothing publishes nothing.
     */
    async updateSettings(userId: string, body: UpdateSettingsBody): Promise<User> {
      return uow.transaction(async (s) => {
        const current = await s.users.findById(userId);
        if (!current) throw new NotFoundError('the account no longer exists');
        const changes = Object.fromEntries(
          Object.entries(body).filter(
            ([field, value]) => value !== undefined && current[field as keyof User] !== value,
          ),
        ) as UserSettingsChanges;
        if (Object.keys(changes).length === 0) return current;
        const user = await s.users.updateSettings(userId, changes, now());
        if (!user) throw new NotFoundError('the account no longer exists');
        await s.outbox.append([userSettingsEvent(user, user.settingsRevision)]);
        return user;
      });
    },

    async me(userId: string): Promise<User> {
      const user = await uow.read.users.findById(userId);
      if (!user) throw new NotFoundError('the account no longer exists');
      return user;
    },

    /** An admin registers a machine client; the secret is shown once and stored hashed. */
    async registerClient(
      adminId: string,
      body: z.infer<typeof registerClientBodySchema>,
    ): Promise<{ clientId: string; clientSecret: string; name: string; scopes: string[] }> {
      const admin = await uow.read.users.findById(adminId);
      if (!admin?.isAdmin) throw new ForbiddenError('only an admin registers machine clients');
      const clientId = `cl_${randomBytes(12).toString('hex')}`;
      const clientSecret = opaqueToken('cs');
      await uow.transaction((s) =>
        s.clients.insert({
          id: clientId,
          name: body.name,
          secretHash: sha256(clientSecret),
          scopes: body.scopes,
          createdAt: now(),
          disabledAt: null,
        }),
      );
      return { clientId, clientSecret, name: body.name, scopes: body.scopes };
    },

    /** A user lets a machine client act for them (with the client's scopes or fewer). */
    async grant(
      userId: string,
      clientId: string,
      scopes: string[] | undefined,
    ): Promise<{ clientId: string; scopes: string[] }> {
      const client = await uow.read.clients.findById(clientId);
      if (!client || client.disabledAt !== null)
        throw new NotFoundError('no such client', { field: 'clientId' });
      const granted = scopes ?? client.scopes;
      const extra = granted.filter((s) => !client.scopes.includes(s));
      if (extra.length > 0)
        throw new ValidationError(`the client was not registered for ${extra.join(' ')}`, {
          field: 'scopes',
        });
      const grants = await uow.read.clients.listGrantsOfClient(clientId);
      if (!grants.some((g) => g.userId === userId) && grants.length >= clientGrantsPerTokenMax) {
        throw new ConflictError('this client has reached its number of users', {
          field: 'clientId',
        });
      }
      await uow.transaction((s) =>
        s.clients.upsertGrant({ clientId, userId, scopes: granted, createdAt: now() }),
      );
      return { clientId, scopes: granted };
    },

    async revokeGrant(userId: string, clientId: string): Promise<void> {
      const removed = await uow.transaction((s) => s.clients.removeGrant(clientId, userId));
      if (!removed) throw new NotFoundError('no such grant', { field: 'clientId' });
    },

    /** Client credentials (RFC 6749 4.4): a token whose `user_ids` are the users who granted this client. */
    async clientToken(
      body: z.infer<typeof clientTokenBodySchema>,
      address: string,
    ): Promise<{ access_token: string; token_type: 'Bearer'; expires_in: number; scope: string }> {
      // The attempt counts (atomically) before the secret is checked, so of many concurrent guesses
      // from one address at most the limit are checked; a valid secret takes its count back, so
      // only failures add up and a busy client is never throttled by its own successes.
      await perAddress.consume(address);
      const client = await uow.read.clients.findById(body.client_id);
      const expected = Buffer.from(client?.secretHash ?? sha256('decoy'), 'hex');
      const actual = Buffer.from(sha256(body.client_secret), 'hex');
      if (!client || client.disabledAt !== null || !timingSafeEqual(expected, actual))
        throw invalidClient();
      await perAddress.release(address);
      const asked =
        body.scope === undefined ? client.scopes : body.scope.split(' ').filter(Boolean);
      const extra = asked.filter((s) => !client.scopes.includes(s));
      if (extra.length > 0)
        throw new ValidationError(`scope not granted to this client: ${extra.join(' ')}`, {
          field: 'scope',
        });
      const grants = await uow.read.clients.listGrantsOfClient(client.id);
      const accessToken = await signAccessToken(keys.signingKey(), {
        issuer: options.issuer,
        audience: options.audience,
        subject: client.id,
        clientId: client.id,
        scopes: asked,
        userIds: grants.slice(0, clientGrantsPerTokenMax).map((g) => g.userId),
        ttlSeconds,
        issuedAt: new Date(now()),
      });
      return {
        access_token: accessToken,
        token_type: 'Bearer',
        expires_in: ttlSeconds,
        scope: asked.join(' '),
      };
    },
  };
}

/**
 * The user's settings as a snapshot on the compacted `ref.user-settings` topic, keyed by the user
 * id; `revision` orders snapshots so consumers ignore a stale one.
 */
export function userSettingsEvent(user: User, revision: number): OutboxEvent {
  const at = new Date(user.updatedAt).toISOString();
  const id = `${user.id}:settings:${revision}`;
  const bytes = encodeEvent(topics.refUserSettings, {
    id,
    type: eventTypes.userSettingsSnapshot,
    version: 1,
    key: user.id,
    occurredAt: at,
    producedAt: new Date().toISOString(),
    source: eventSource,
    payload: {
      userId: user.id,
      revision,
      timeZone: user.timeZone,
      homeCurrency: user.homeCurrency as CurrencyCode,
      locale: user.locale,
      alerts: { enabled: true },
      updatedAt: at,
    },
  });
  return {
    eventId: id,
    topic: topics.refUserSettings,
    key: user.id,
    payload: Buffer.from(bytes).toString('utf8'),
    createdAt: user.updatedAt,
  };
}
