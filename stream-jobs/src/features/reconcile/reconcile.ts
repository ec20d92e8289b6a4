/**
 * Reconcile: check a live system's invariants and list every difference.
 * - Rollups are exact (invariant 4): every stored cell equals a recomputation from the documents.
 * - Nothing accepted is lost (invariant 3): every transaction on `transactions.raw` has a document
 *   at its latest version (dead-lettered messages excepted, listed apart), and every document is in
 *   the search index at its version.
 * - Each alert fires once (invariant 5): no alert id twice on the `alerts` topic, every recorded
 *   alert published, every published alert recorded.
 * Invariant 1 (ledger conservation) belongs to wallet-api's own reconcile.
 */
import { randomUUID } from 'node:crypto';
import { decodeEvent, topics } from '@spendstream/core/events';
import type { EventLog, IncomingMessage } from '@spendstream/core/event-log';
import type { DocumentStore, RollupRow } from '../documents/store.js';
import type { TransactionDocument } from '../documents/transaction-document.js';
import { compareRollups, describeDifference, recomputeRollups } from '../rollups/recompute.js';
import type { SearchIndex } from '../search/search-index.js';

/** Page size of the scans. */
export const scanPageSize = 1_000;
/** A topic counts as read to its end once no message came for this long. */
export const topicIdleMs = 3_000;
/** Longest wait for the first message of a topic (joining a group takes a few seconds on Kafka). */
export const topicFirstMessageWaitMs = 15_000;
/** Most differences printed per check; the count is always complete. */
export const differencesShownMax = 200;

export interface ReconcileReport {
  checks: Record<string, { checked: number; differences: string[] }>;
  ok: boolean;
}

async function readTopic(
  eventLog: EventLog,
  topic: string,
  onMessage: (m: IncomingMessage) => void,
): Promise<number> {
  let count = 0;
  let last = Date.now();
  const started = Date.now();
  const consumer = await eventLog.subscribe({
    groupId: `reconcile-${randomUUID()}`,
    topics: [topic],
    from: 'earliest',
    handler: async (batch) => {
      for (const message of batch.messages) onMessage(message);
      count += batch.messages.length;
      last = Date.now();
    },
  });
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    const quietFor = Date.now() - last;
    if (count > 0 && quietFor >= topicIdleMs) break;
    if (count === 0 && Date.now() - started >= topicFirstMessageWaitMs) break;
  }
  await consumer.close();
  return count;
}

async function* scanDocuments(store: DocumentStore): AsyncGenerator<TransactionDocument[]> {
  let afterId: string | undefined;
  for (;;) {
    const page = await store.scanTransactions({ afterId, limit: scanPageSize });
    if (page.length > 0) yield page;
    if (page.length < scanPageSize) return;
    afterId = page[page.length - 1]!.id;
  }
}

/** Runs every check. `eventLog` may be omitted to check only the stores. */
export async function reconcile(input: {
  store: DocumentStore;
  index: SearchIndex;
  eventLog?: EventLog;
  /** The jobs' topic prefix, if any. */
  topicPrefix?: string;
}): Promise<ReconcileReport> {
  const { store, index, eventLog } = input;
  const checks: ReconcileReport['checks'] = {};
  const add = (name: string, checked: number, differences: string[]) =>
    (checks[name] = { checked, differences });

  // Documents, and the index beside them.
  const docs: TransactionDocument[] = [];
  const indexDiffs: string[] = [];
  await index.refresh();
  for await (const page of scanDocuments(store)) {
    docs.push(...page);
    const versions = await index.versions(page.map((d) => d.id));
    for (const doc of page) {
      const indexed = versions.get(doc.id);
      if (indexed !== doc.version)
        indexDiffs.push(
          `search index: ${doc.id} has version ${indexed ?? 'none'}, document has ${doc.version}`,
        );
    }
  }
  add('documents-in-search-index', docs.length, indexDiffs);

  // Rollups.
  const rows: RollupRow[] = [];
  let afterKey: string | undefined;
  for (;;) {
    const page = await store.scanRollups({ afterKey, limit: scanPageSize });
    rows.push(...page);
    if (page.length < scanPageSize) break;
    afterKey = page[page.length - 1]!.cellKey;
  }
  add(
    'rollups-equal-recomputation',
    rows.length,
    compareRollups(rows, recomputeRollups(docs)).map(describeDifference),
  );

  // Alerts recorded.
  const recorded = new Map<string, string | null>();
  let afterId: string | undefined;
  for (;;) {
    const page = await store.listAlerts({ afterId, limit: scanPageSize });
    for (const alert of page) recorded.set(alert.alertId, alert.publishedAt);
    if (page.length < scanPageSize) break;
    afterId = page[page.length - 1]!.alertId;
  }

  if (eventLog) {
    // What was ingested: the latest version of every transaction id.
    const ingested = new Map<string, number>();
    const prefix = input.topicPrefix ?? '';
    const rawCount = await readTopic(eventLog, `${prefix}${topics.transactionsRaw}`, (message) => {
      try {
        const event = decodeEvent(topics.transactionsRaw, message.value);
        const seen = ingested.get(event.payload.transactionId) ?? 0;
        if (event.payload.version > seen)
          ingested.set(event.payload.transactionId, event.payload.version);
      } catch {
        // Undecodable messages were never accepted: they are on the dead-letter topic.
      }
    });
    const byId = new Map(docs.map((d) => [d.id, d]));
    const lost: string[] = [];
    for (const [id, version] of ingested) {
      const doc = byId.get(id);
      if (!doc) lost.push(`ingested ${id} v${version}: no document`);
      else if (doc.rawVersion < version)
        lost.push(`ingested ${id} v${version}: document is at v${doc.rawVersion}`);
    }
    add('ingested-transactions-have-documents', rawCount, lost);

    const published = new Map<string, number>();
    const alertCount = await readTopic(eventLog, `${prefix}${topics.alerts}`, (message) => {
      const id = (JSON.parse(message.value.toString('utf8')) as { id?: string }).id ?? '?';
      published.set(id, (published.get(id) ?? 0) + 1);
    });
    const alertDiffs: string[] = [];
    for (const [id, times] of published) {
      if (times > 1) alertDiffs.push(`alert ${id} published ${times} times`);
      if (!recorded.has(id)) alertDiffs.push(`alert ${id} published but not recorded`);
    }
    for (const [id, publishedAt] of recorded) {
      if (!published.has(id))
        alertDiffs.push(
          `alert ${id} recorded${publishedAt ? '' : ' (unpublished)'} but not on the alerts topic`,
        );
    }
    add('alerts-once', alertCount, alertDiffs);
  } else {
    const unpublished = [...recorded]
      .filter(([, at]) => at === null)
      .map(([id]) => `alert ${id} recorded but not published`);
    add('alerts-published', recorded.size, unpublished);
  }
  return { checks, ok: Object.values(checks).every((c) => c.differences.length === 0) };
}

/** The report as lines for people. */
export function formatReport(report: ReconcileReport): string {
  const lines: string[] = [];
  for (const [name, check] of Object.entries(report.checks)) {
    lines.push(
      `${check.differences.length === 0 ? 'ok  ' : 'DIFF'} ${name}: ${check.checked} checked, ${check.differences.length} differences`,
    );
    for (const difference of check.differences.slice(0, differencesShownMax))
      lines.push(`     ${difference}`);
    if (check.differences.length > differencesShownMax)
      lines.push(`     ... and ${check.differences.length - differencesShownMax} more`);
  }
  lines.push(report.ok ? 'reconcile: clean' : 'reconcile: differences found');
  return lines.join('\n');
}
