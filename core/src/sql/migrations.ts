/**
 * Migrations per workspace: each lists its migrations in code (no file globbing, so they run the
 * same under tsx, from tests and from a bundle) and keeps its own history table, so four services
 * can share one database without seeing each other's history.
 */
import type { Knex } from 'knex';

export interface Migration {
  /** Sorts the migrations: `0001-wallets`, `0002-outbox`. Never rename one that has shipped. */
  name: string;
  up(knex: Knex): Promise<void>;
  down?(knex: Knex): Promise<void>;
}

export interface MigrationSet {
  /** The workspace (`wallet-api`); names the history table `<scope>_migrations`. */
  scope: string;
  migrations: readonly Migration[];
}

/** The history table of a scope (`wallet_api_migrations`). */
export function migrationTableName(scope: string): string {
  return `${scope.replace(/[^A-Za-z0-9]/g, '_').toLowerCase()}_migrations`;
}

function migrationSource(set: MigrationSet): Knex.MigrationSource<Migration> {
  const names = set.migrations.map((m) => m.name);
  if (new Set(names).size !== names.length) {
    throw new Error(`${set.scope}: two migrations share a name`);
  }
  return {
    getMigrations: () =>
      Promise.resolve([...set.migrations].sort((a, b) => a.name.localeCompare(b.name))),
    getMigrationName: (migration) => migration.name,
    getMigration: (migration) =>
      Promise.resolve({
        up: (knex: Knex) => migration.up(knex),
        down: (knex: Knex) => {
          if (!migration.down) throw new Error(`${set.scope}: ${migration.name} cannot be undone`);
          return migration.down(knex);
        },
      }),
  };
}

function config(set: MigrationSet): Knex.MigratorConfig {
  return { migrationSource: migrationSource(set), tableName: migrationTableName(set.scope) };
}

/** Apply every pending migration of a scope; returns the names applied. */
export async function migrateToLatest(knex: Knex, set: MigrationSet): Promise<string[]> {
  const [, applied] = (await knex.migrate.latest(config(set))) as [number, string[]];
  return applied;
}

/** Undo every migration of a scope (tests and local resets). */
export async function rollbackAll(knex: Knex, set: MigrationSet): Promise<string[]> {
  const [, undone] = (await knex.migrate.rollback(config(set), true)) as [number, string[]];
  return undone;
}

/** Names of the scope's migrations not yet applied. */
export async function pendingMigrations(knex: Knex, set: MigrationSet): Promise<string[]> {
  const [, pending] = (await knex.migrate.list(config(set))) as [unknown, { name: string }[]];
  return pending.map((m) => m.name);
}
