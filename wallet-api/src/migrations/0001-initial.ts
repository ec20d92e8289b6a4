/**
 * The wallet-api schema, identical on MySQL/MariaDB and SQLite. Money is BIGINT minor units; times
 * are BIGINT milliseconds since the epoch (UTC), which both engines store and compare exactly.
 * Unique keys carry the idempotency of every write: (principal, key) for requests, event_id for
 * outbox rows, token_hash for refresh tokens, reverses_id for reversals.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('users', (t) => {
    t.string('id', 36).primary();
    t.string('email', 254).notNullable().unique();
    t.string('password_hash', 200).notNullable();
    t.string('display_name', 100).notNullable();
    t.string('home_currency', 3).notNullable();
    t.string('time_zone', 64).notNullable();
    t.boolean('is_admin').notNullable().defaultTo(false);
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
  });

  await knex.schema.createTable('signing_keys', (t) => {
    t.string('kid', 64).primary();
    t.string('alg', 16).notNullable();
    t.text('private_jwk').notNullable();
    t.text('public_jwk').notNullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('retired_at').nullable();
  });

  await knex.schema.createTable('refresh_tokens', (t) => {
    t.string('id', 36).primary();
    t.string('family_id', 36).notNullable().index();
    t.string('user_id', 36).notNullable().index();
    t.string('token_hash', 64).notNullable().unique();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('expires_at').notNullable();
    t.bigInteger('used_at').nullable();
    t.bigInteger('revoked_at').nullable();
  });

  await knex.schema.createTable('clients', (t) => {
    t.string('id', 64).primary();
    t.string('name', 100).notNullable();
    t.string('secret_hash', 200).notNullable();
    t.text('scopes').notNullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('disabled_at').nullable();
  });

  await knex.schema.createTable('client_grants', (t) => {
    t.string('client_id', 64).notNullable();
    t.string('user_id', 36).notNullable();
    t.text('scopes').notNullable();
    t.bigInteger('created_at').notNullable();
    t.primary(['client_id', 'user_id']);
    t.index(['user_id']);
  });

  await knex.schema.createTable('wallets', (t) => {
    t.string('id', 36).primary();
    t.string('owner_id', 36).notNullable();
    t.string('name', 100).notNullable();
    t.string('type', 16).notNullable();
    t.string('currency', 3).notNullable();
    t.bigInteger('balance').notNullable().defaultTo(0);
    t.bigInteger('overdraft_limit').notNullable().defaultTo(0);
    // Counts the postings applied to this wallet: the gap-free sequence of wallet.balance_changed.
    t.bigInteger('posting_seq').notNullable().defaultTo(0);
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
    t.bigInteger('archived_at').nullable();
    t.index(['owner_id']);
  });

  await knex.schema.createTable('wallet_members', (t) => {
    t.string('wallet_id', 36).notNullable();
    t.string('user_id', 36).notNullable();
    t.string('role', 16).notNullable();
    t.bigInteger('created_at').notNullable();
    t.primary(['wallet_id', 'user_id']);
    t.index(['user_id', 'wallet_id']);
  });

  await knex.schema.createTable('movements', (t) => {
    t.string('id', 36).primary();
    t.string('user_id', 36).notNullable();
    t.string('kind', 16).notNullable();
    t.string('wallet_id', 36).notNullable();
    t.bigInteger('amount').notNullable();
    t.string('currency', 3).notNullable();
    t.string('counter_wallet_id', 36).nullable();
    t.bigInteger('counter_amount').nullable();
    t.string('counter_currency', 3).nullable();
    t.string('rate', 40).nullable();
    t.string('rounding', 16).nullable();
    t.string('category', 100).nullable();
    t.string('merchant', 200).nullable();
    t.string('note', 1000).nullable();
    t.text('tags').notNullable();
    t.string('occurred_at', 40).notNullable();
    t.string('reverses_id', 36).nullable().unique();
    t.bigInteger('created_at').notNullable();
    t.index(['wallet_id', 'id']);
    t.index(['counter_wallet_id', 'id']);
  });

  await knex.schema.createTable('postings', (t) => {
    t.bigIncrements('id').primary();
    t.string('movement_id', 36).notNullable().index();
    t.string('account', 16).notNullable();
    t.string('wallet_id', 36).nullable();
    t.bigInteger('amount').notNullable();
    t.string('currency', 3).notNullable();
    t.bigInteger('created_at').notNullable();
    t.index(['wallet_id', 'id']);
  });

  await knex.schema.createTable('idempotency_keys', (t) => {
    t.string('principal', 64).notNullable();
    t.string('idem_key', 255).notNullable();
    t.string('request_hash', 64).notNullable();
    t.integer('response_status').nullable();
    t.text('response_body', 'mediumtext').nullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('expires_at').notNullable().index();
    t.primary(['principal', 'idem_key']);
  });

  await knex.schema.createTable('outbox', (t) => {
    t.bigIncrements('id').primary();
    t.string('event_id', 128).notNullable().unique();
    t.string('topic', 100).notNullable();
    t.string('msg_key', 128).notNullable();
    t.text('payload', 'mediumtext').notNullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('published_at').nullable();
    t.index(['published_at', 'id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of [
    'outbox',
    'idempotency_keys',
    'postings',
    'movements',
    'wallet_members',
    'wallets',
    'client_grants',
    'clients',
    'refresh_tokens',
    'signing_keys',
    'users',
  ]) {
    await knex.schema.dropTableIfExists(table);
  }
}
