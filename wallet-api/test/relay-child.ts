/**
 * A relay process for the kill test: relays the outbox of the SQLite database in DATA_DIR to the
 * embedded event log at EVENT_LOG_PATH in small batches, pausing around each send so the parent's
 * SIGKILL lands mid-stream, and logs a line after every send the log accepted.
 */
import { createEmbeddedEventLog } from '@spendstream/core/event-log';
import { createSql } from '@spendstream/core/sql';
import { createOutboxRelay } from '../src/features/outbox/relay.js';
import { createSqlUnitOfWork } from '../src/stores.js';

const pauseMs = 15;
const sql = createSql({ DATA_DIR: process.env.DATA_DIR });
const eventLog = createEmbeddedEventLog({ path: process.env.EVENT_LOG_PATH ?? '' });
let sends = 0;
const relay = createOutboxRelay({
  uow: createSqlUnitOfWork(sql),
  batchSize: 10,
  eventLog: {
    async send(topic, messages) {
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
      await eventLog.send(topic, messages);
      sends += 1;
      console.log(JSON.stringify({ msg: 'sent', sends, count: messages.length }));
      // The window between "the log has it" and "the outbox row is marked".
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
    },
  },
});
await relay.drain();
console.log(JSON.stringify({ msg: 'drained' }));
