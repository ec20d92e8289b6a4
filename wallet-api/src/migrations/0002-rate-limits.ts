/**
 * Login rate limits shared by every wallet-api instance on one database: one fixed-window counter
 * per bucket (a hashed account or address), incremented atomically by an upsert.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('rate_limits', (t) => {
    /** `<scope>:<sha256 of the subject>`: no email or address stored in clear. */
    t.string('bucket', 100).primary();
    t.integer('hits').notNullable();
    /** When the current window ends (ms); the next hit after it starts a new window at 1. */
    t.bigInteger('window_ends_at').notNullable().index();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('rate_limits');
}
