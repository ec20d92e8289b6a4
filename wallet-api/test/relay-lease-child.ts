/**
 * A relay process for the lease test: relays the outbox of DATABASE_URL under the relay lease as
 * OWNER (lease TTL_MS), and logs the event ids of every send instead of publishing them, so the
 * parent sees exactly what this process published. It runs until it is killed.
 */
import { eventHeaders } from '@spendstream/core/events';
import { createSql } from '@spendstream/core/sql';
import { createOutboxRelay } from '../src/features/outbox/relay.js';
import { createSqlUnitOfWork } from '../src/stores.js';

const sql = createSql({ DATABASE_URL: process.env.DATABASE_URL });
const relay = createOutboxRelay({
  uow: createSqlUnitOfWork(sql),
  batchSize: 10,
  lease: { owner: process.env.OWNER ?? 'child', ttlMs: Number(process.env.TTL_MS ?? '1000') },
  eventLog: {
    async send(topic, messages) {
      const ids = messages.map((m) => String(m.headers?.[eventHeaders.id] ?? ''));
      console.log(JSON.stringify({ msg: 'sent', topic, ids }));
    },
  },
});
relay.start();
console.log(JSON.stringify({ msg: 'started' }));
