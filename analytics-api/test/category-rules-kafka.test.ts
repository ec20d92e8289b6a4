/**
 * Rules and custom categories published to the real Kafka (`npm run infra:up`): each change's
 * snapshot arrives keyed by the user with the revision the API answered as its ETag, decodes with
 * core's codec, and stream-jobs' categorizer, given the latest snapshot as its user state does,
 * puts a matching transaction in the new custom category by the new rule.
 */
import test from 'ava';
import { createEventLog, type EventLog } from '@spendstream/core/event-log';
import {
  decodeEvent,
  topics,
  topicSpecs,
  type CategoryRulesSnapshotV1,
} from '@spendstream/core/events';
import { realServers, uniqueName } from '@spendstream/core/testing/servers';
import { categorize } from '../../stream-jobs/src/features/categorize/categorize.js';
import { userContextOf } from '../../stream-jobs/src/features/pipeline/user-state.js';
import { createEventLogPublisher } from '../src/domain/event-publisher.js';
import { startTestApp } from './support/test-app.js';

test('snapshots reach Kafka keyed by the user with the answered revision, and stream-jobs categorizes by them', async (t) => {
  const servers = realServers(['KAFKA_BROKERS']);
  const prefix = `${uniqueName('category_rules')}.`;
  const topic = `${prefix}${topics.refCategoryRules}`;
  const log: EventLog = await createEventLog({
    kafkaBrokers: servers.KAFKA_BROKERS,
    clientId: 'analytics-category-rules-test',
  });
  await log.createTopic(topic, { partitions: topicSpecs[topics.refCategoryRules].partitions });
  const app = await startTestApp({ publishTo: createEventLogPublisher(log, prefix) });
  t.teardown(async () => {
    await app.close();
    await log.close();
  });

  const user = 'u-cr-kafka';
  const send = (path: string, body: unknown) =>
    app.as(user, path, { method: 'POST', body: JSON.stringify(body) });
  const category = await send('/v1/categories/custom', {
    id: 'pet-care',
    name: 'Pet care',
    parentId: 'health',
  });
  t.is(category.status, 201);
  const rule = await send('/v1/category-rules', {
    priority: 1,
    match: { mcc: ['0742'], amountMax: { amount: '20000', currency: 'EUR' } },
    category: 'pet-care',
    addTags: ['animals'],
  });
  t.is(rule.status, 201);
  const { ruleId } = (await rule.json()) as { ruleId: string };
  const etags = [category.headers.get('etag'), rule.headers.get('etag')];

  const received: Array<{ key: string; payload: CategoryRulesSnapshotV1 }> = [];
  const consumer = await log.subscribe({
    groupId: uniqueName('category_rules_reader'),
    topics: [topic],
    async handler(batch) {
      for (const message of batch.messages) {
        received.push({
          key: message.key,
          payload: decodeEvent(topics.refCategoryRules, message.value).payload,
        });
      }
    },
  });
  t.teardown(() => consumer.close());
  const deadline = Date.now() + 20_000;
  while (received.length < 2 && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 50));

  t.deepEqual(
    received.map((entry) => [entry.key, entry.payload.userId, `"${entry.payload.revision}"`]),
    [
      [user, user, etags[0]],
      [user, user, etags[1]],
    ],
  );
  const latest = received[1]!.payload;
  t.deepEqual(latest.categories, [{ id: 'pet-care', name: 'Pet care', parentId: 'health' }]);
  t.like(latest.rules, [{ ruleId, priority: 1, category: 'pet-care', addTags: ['animals'] }]);
  t.is(latest.rules[0]!.match.amountMax?.amount, 20000n);

  // stream-jobs' enricher builds its context from the latest snapshot exactly so.
  const context = userContextOf(
    {
      settings: undefined,
      budgets: undefined,
      rules: latest,
      wallets: undefined,
      merchantCorrections: new Map(),
    },
    undefined,
  ).categorization;
  const tx = {
    kind: 'expense' as const,
    amount: { amount: 4500n, currency: 'EUR' as const },
    walletId: 'w-1',
    merchant: 'CITY VET CLINIC',
    mcc: '0742',
  };
  t.like(categorize(tx, context), {
    reason: 'user_rule',
    assignment: { id: 'pet-care', path: ['health', 'pet-care'], source: 'rule', ruleId },
  });
  // Over the rule's amountMax the rule does not match, and the custom category is not assigned.
  const dear = categorize({ ...tx, amount: { amount: 25000n, currency: 'EUR' } }, context);
  t.not(dear.assignment.id, 'pet-care');
});
