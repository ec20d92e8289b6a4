/**
 * A consumer-group member in its own process, for the embedded log's cross-process test: joins
 * `groupId` on the SQLite file given in argv, reports what it owns and each message it handles to
 * the parent over IPC, and leaves the group when the parent says "close". An optional fourth
 * argument is the member's session timeout in ms (default 1,000).
 */
import { createEmbeddedEventLog } from './embedded.js';

const [path, topic, groupId, sessionTimeout] = process.argv.slice(2);
if (!path || !topic || !groupId || !process.send) {
  throw new Error(
    'usage: fork(embedded-child-member.ts, [sqlitePath, topic, groupId, sessionTimeoutMs?])',
  );
}
const send = process.send.bind(process);
const log = createEmbeddedEventLog({ path, pollIntervalMs: 20 });
const consumer = await log.subscribe({
  groupId,
  topics: [topic],
  sessionTimeoutMs: sessionTimeout === undefined ? 1_000 : Number(sessionTimeout),
  handler: async (batch) => {
    send({ handled: batch.messages.map((m) => `${m.partition}:${m.offset}`) });
  },
});
const report = setInterval(() => send({ owns: consumer.assignment().map((p) => p.partition) }), 50);
process.on('message', (message) => {
  if (message === 'close') {
    clearInterval(report);
    void log.close().then(() => process.exit(0));
  }
});
