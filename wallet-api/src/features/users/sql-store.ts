import type { Db } from '../../db.js';
import { isUniqueViolation, toNumber } from '../../db.js';
import type { User, UserStore, UserWithSecret } from './store.js';

interface Row {
  id: string;
  email: string;
  password_hash: string;
  display_name: string;
  home_currency: string;
  time_zone: string;
  locale: string;
  settings_revision: unknown;
  is_admin: unknown;
  created_at: unknown;
  updated_at: unknown;
}

const publicColumns = [
  'id',
  'email',
  'display_name',
  'home_currency',
  'time_zone',
  'locale',
  'settings_revision',
  'is_admin',
  'created_at',
  'updated_at',
];

function toUser(r: Row): User {
  return {
    id: r.id,
    email: r.email,
    displayName: r.display_name,
    homeCurrency: r.home_currency,
    timeZone: r.time_zone,
    locale: r.locale,
    settingsRevision: toNumber(r.settings_revision),
    isAdmin: r.is_admin === true || r.is_admin === 1 || r.is_admin === 1n,
    createdAt: toNumber(r.created_at),
    updatedAt: toNumber(r.updated_at),
  };
}

/** Users on SQL. Reads that do not verify a password never select the hash column. */
export function createSqlUserStore(db: Db): UserStore {
  return {
    async insert(u) {
      try {
        await db('users').insert({
          id: u.id,
          email: u.email,
          password_hash: u.passwordHash,
          display_name: u.displayName,
          home_currency: u.homeCurrency,
          time_zone: u.timeZone,
          locale: u.locale,
          settings_revision: u.settingsRevision,
          is_admin: u.isAdmin,
          created_at: u.createdAt,
          updated_at: u.updatedAt,
        });
        return true;
      } catch (error) {
        if (isUniqueViolation(error)) return false;
        throw error;
      }
    },
    async findById(userId) {
      const row = (await db('users').select(publicColumns).where('id', userId).first()) as
        Row | undefined;
      return row ? toUser(row) : undefined;
    },
    async findByEmail(email) {
      const row = (await db('users').select(publicColumns).where('email', email).first()) as
        Row | undefined;
      return row ? toUser(row) : undefined;
    },
    async findSecretByEmail(email) {
      const row = (await db('users').where('email', email).first()) as Row | undefined;
      return row ? { ...toUser(row), passwordHash: row.password_hash } : undefined;
    },
    async findSecretById(userId) {
      const row = (await db('users').where('id', userId).first()) as Row | undefined;
      return row
        ? ({ ...toUser(row), passwordHash: row.password_hash } satisfies UserWithSecret)
        : undefined;
    },
    async setPasswordHash(userId, passwordHash, now) {
      await db('users')
        .where('id', userId)
        .update({ password_hash: passwordHash, updated_at: now });
    },
    async updateSettings(userId, changes, now) {
      const columns: Record<string, string> = {};
      if (changes.displayName !== undefined) columns.display_name = changes.displayName;
      if (changes.homeCurrency !== undefined) columns.home_currency = changes.homeCurrency;
      if (changes.timeZone !== undefined) columns.time_zone = changes.timeZone;
      if (changes.locale !== undefined) columns.locale = changes.locale;
      const updated = await db('users')
        .where('id', userId)
        .update({
          ...columns,
          settings_revision: db.raw('settings_revision + 1'),
          updated_at: now,
        });
      if (updated === 0) return undefined;
      const row = (await db('users').select(publicColumns).where('id', userId).first()) as
        Row | undefined;
      return row ? toUser(row) : undefined;
    },
    async nextWalletsRevision(userId) {
      const updated = await db('users')
        .where('id', userId)
        .update({ wallets_revision: db.raw('wallets_revision + 1') });
      if (updated === 0) return undefined;
      const row = (await db('users').select('wallets_revision').where('id', userId).first()) as
        { wallets_revision: unknown } | undefined;
      return row ? toNumber(row.wallets_revision) : undefined;
    },
    async delete(userId) {
      await db('users').where('id', userId).delete();
    },
  };
}
