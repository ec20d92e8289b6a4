/**
 * The revision of each user's `wallets.snapshot` on `ref.wallets`: 0 before any snapshot, one more
 * for every snapshot published, bumped in the transaction of the change it describes.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.integer('wallets_revision').notNullable().defaultTo(0);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.dropColumn('wallets_revision');
  });
}
