/**
 * Reference snapshots published from SQL (`ref.budgets`, `ref.category-rules`): never lost, and the
 * newest always last.
 *
 * Each user's row in a revisions table holds `revision` (bumped by every change, in the change's
 * transaction) and `published_revision` (the revision of the last snapshot the event log took).
 * A change commits first; then `publish` runs one transaction that locks the user's row of
 * `analytics_snapshot_publish_locks` (a row only publishers take: InnoDB's row lock, SQLite's
 * write lock), reads the set as it is, sends it, and records its revision as published. So:
 * - publishers of one user, in this instance or another, send one after the other, each the set
 *   as it is when it holds the lock: the last message of a key, which compaction keeps, is the
 *   newest set (without the lock two instances could send revision 5 after revision 6);
 * - a change does not wait for a send in flight on MySQL: it locks the user's revisions row,
 *   which the publisher touches only after its send, to record it (until migration 0007 the
 *   publisher locked that row across the send, so the user's next change waited for it);
 * - a send that fails leaves the row behind (`published_revision < revision`): the change stays
 *   stored, the request that made it still succeeds (it is durable; publishing is owed), and the
 *   sweep, run at start and then every `snapshotSweepIntervalMs`, publishes every such user.
 * A set already published at its revision is not sent again.
 */
import type { Knex } from 'knex';
import { isUniqueViolation, withTransaction } from '@spendstream/core/sql';
import type { Logger } from '@spendstream/core/log';
import { invariant } from '@spendstream/core/errors';

/** How often the background sweep looks for users whose newest set was not published. */
export const snapshotSweepIntervalMs = 5_000;
/** Most users one sweep publishes (the next sweep takes the rest). */
export const snapshotSweepUsersMax = 200;
/** The column that records, per user, the revision of the last published snapshot. */
export const publishedRevisionColumn = 'published_revision';
/** One row per outbox and user: the lock publishers of that user's snapshots take, and no one else. */
export const snapshotPublishLocksTable = 'analytics_snapshot_publish_locks';

export interface SnapshotOutbox {
  /**
   * Publish the user's set as it is now. True when the event log took it (or it already had that
   * revision); false when sending failed: the failure is logged and the sweep publishes it later.
   */
  publish(userId: string): Promise<boolean>;
  /** Publish every user whose newest set is not published (at most `snapshotSweepUsersMax`). */
  sweep(): Promise<{ published: number; failed: number }>;
  /** Sweep now, then every `intervalMs`, until `stop`. */
  start(intervalMs?: number): void;
  /** Stop sweeping and wait for a sweep under way. */
  stop(): Promise<void>;
}

export interface SnapshotOutboxOptions {
  /** What the snapshots are (for logs): `budgets`, `category rules`. */
  name: string;
  db: Knex;
  /** The table with `user_id`, `revision` and `published_revision`. */
  revisionsTable: string;
  /** Read the user's set at `revision` inside `trx` and send it; throw when it was not taken. */
  send(trx: Knex.Transaction, userId: string, revision: number): Promise<void>;
  log: Logger;
}

/** Add `published_revision` to a revisions table (a migration): every existing set is owed once. */
export async function addPublishedRevisionColumn(db: Knex, revisionsTable: string): Promise<void> {
  await db.schema.alterTable(revisionsTable, (table) => {
    table.integer(publishedRevisionColumn).notNullable().defaultTo(0);
  });
}

/** Create the publishers' lock table (a migration); rows are added on a user's first publish. */
export async function createSnapshotPublishLocks(db: Knex): Promise<void> {
  await db.schema.createTable(snapshotPublishLocksTable, (table) => {
    table.string('outbox', 64).notNullable();
    table.string('user_id', 128).notNullable();
    table.primary(['outbox', 'user_id']);
  });
}

/**
 * Bump the user's revision, first thing in a change's transaction; returns the new revision. The
 * row lock (MySQL) or write lock (SQLite) it takes queues every other change of this user behind
 * this one until the commit, so the change decides on the set as it really is and no two changes
 * get one revision. Two first changes at once: the later insert waits for the earlier one's
 * commit and finds the key taken (MySQL keeps the transaction open after a duplicate key), so it
 * bumps the committed row instead.
 */
export async function bumpRevision(
  trx: Knex.Transaction,
  revisionsTable: string,
  userId: string,
): Promise<number> {
  const increment = () =>
    trx(revisionsTable)
      .where({ user_id: userId })
      .update({ revision: trx.raw('revision + 1') });
  if ((await increment()) === 0) {
    try {
      await trx(revisionsTable).insert({ user_id: userId, revision: 1 });
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      await increment();
    }
  }
  const row = (await trx(revisionsTable).where({ user_id: userId }).first()) as RevisionRow;
  return Number(row.revision);
}

interface RevisionRow {
  revision: number | bigint;
  published_revision: number | bigint;
}

export function createSnapshotOutbox(options: SnapshotOutboxOptions): SnapshotOutbox {
  const { db, revisionsTable: table, log } = options;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;

  /**
   * One publish under the user's publisher lock; false when the lock row does not exist yet (it is
   * then added outside any transaction, so two first publishers cannot deadlock on inserting it).
   */
  async function publishLocked(userId: string): Promise<boolean> {
    const lock = { outbox: table, user_id: userId };
    return withTransaction(db, async (trx) => {
      // The lock: writing the row (to what it holds) queues every other publisher of this user.
      // Changes never take it, so they do not wait for the send below.
      const locked = await trx(snapshotPublishLocksTable)
        .where(lock)
        .update({ outbox: trx.raw('??', ['outbox']) });
      if (locked === 0) return false;
      // Read after the lock: the newest committed set, and what the previous publisher recorded.
      const row = (await trx(table).where({ user_id: userId }).first()) as RevisionRow | undefined;
      if (!row) return true;
      const revision = Number(row.revision);
      if (Number(row.published_revision) >= revision) return true;
      await options.send(trx, userId, revision);
      // Waits at most for a change's own short transaction on that row; only raises it.
      await trx(table)
        .where({ user_id: userId })
        .where(publishedRevisionColumn, '<', revision)
        .update({ [publishedRevisionColumn]: revision });
      return true;
    });
  }

  async function publishOrThrow(userId: string): Promise<void> {
    if (await publishLocked(userId)) return;
    await db(snapshotPublishLocksTable)
      .insert({ outbox: table, user_id: userId })
      .onConflict(['outbox', 'user_id'])
      .ignore();
    invariant(await publishLocked(userId), `the publish lock row of ${userId} in ${table} exists`);
  }

  async function publish(userId: string): Promise<boolean> {
    try {
      await publishOrThrow(userId);
      return true;
    } catch (error) {
      log.warn(`${options.name} snapshot of a user not published yet; the sweep retries it`, {
        userId,
        error: error instanceof Error ? error.message : String(error),
      });
      return false;
    }
  }

  async function sweep(): Promise<{ published: number; failed: number }> {
    const due = (await db(table)
      .where(publishedRevisionColumn, '<', db.ref('revision'))
      .orderBy('user_id')
      .limit(snapshotSweepUsersMax)
      .select('user_id')) as Array<{ user_id: string }>;
    let published = 0;
    for (const { user_id: userId } of due) {
      if (await publish(userId)) published += 1;
    }
    return { published, failed: due.length - published };
  }

  /** One sweep at a time: a tick that finds one under way does nothing. */
  function runSweep(): void {
    if (running || stopped) return;
    running = sweep()
      .then(
        () => undefined,
        (error: unknown) =>
          log.warn(`${options.name} snapshot sweep failed; it runs again`, {
            error: error instanceof Error ? error.message : String(error),
          }),
      )
      .finally(() => {
        running = undefined;
      });
  }

  return {
    publish,
    sweep,
    start(intervalMs = snapshotSweepIntervalMs) {
      if (timer || stopped) return;
      runSweep();
      timer = setInterval(runSweep, intervalMs);
      timer.unref();
    },
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      timer = undefined;
      await running;
    },
  };
}
