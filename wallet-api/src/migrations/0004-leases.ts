/**
 * Leases: one row per singleton job (the outbox relay) naming the instance that runs it and until
 * when, so several wallet-api instances on one database run it one at a time.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('leases', (t) => {
    t.string('name', 64).primary();
    t.string('owner', 128).notNullable();
    /** ms since the epoch; past it any instance may take the lease. */
    t.bigInteger('expires_at').notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('leases');
}
