/**
 * User settings that change after registration: a display locale, and the revision of the
 * settings snapshot published on `ref.user-settings` (0 at registration, one more per change).
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.string('locale', 35).notNullable().defaultTo('en-US');
    t.integer('settings_revision').notNullable().defaultTo(0);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.dropColumn('settings_revision');
    t.dropColumn('locale');
  });
}
