import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmbeddedEventLog } from '@spendstream/core/event-log';
import { encodeEvent, topics, type TopicEvent } from '@spendstream/core/events';
import { createMemoryUserSettingsStore } from './user-settings.js';
import { startUserSettingsConsumer } from './user-settings-consumer.js';

function snapshot(
  userId: string,
  revision: number,
  timeZone: string,
): TopicEvent<typeof topics.refUserSettings> {
  const at = '2026-06-01T12:00:00.000Z';
  return {
    id: `evt_settings_${userId}_${revision}`,
    type: 'user_settings.snapshot',
    version: 1,
    key: userId,
    occurredAt: at,
    producedAt: at,
    source: 'wallet-api',
    payload: {
      userId,
      revision,
      timeZone,
      homeCurrency: 'NZD',
      locale: 'en-NZ',
      alerts: { enabled: true },
      updatedAt: at,
    },
  };
}

test('settings from ref.user-settings replace the defaults, and an older revision never wins', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'analytics-settings-'));
  const log = createEmbeddedEventLog({ path: join(dir, 'log.sqlite') });
  await log.createTopic(topics.refUserSettings, { partitions: 2 });
  const settings = createMemoryUserSettingsStore({ timeZone: 'UTC', homeCurrency: 'EUR' });
  t.deepEqual(await settings.get('u1'), { timeZone: 'UTC', homeCurrency: 'EUR' });
  const send = (event: TopicEvent<typeof topics.refUserSettings>) =>
    log.send(topics.refUserSettings, [
      { key: event.key, value: Buffer.from(encodeEvent(topics.refUserSettings, event)) },
    ]);
  await send(snapshot('u1', 2, 'Pacific/Auckland'));
  await send(snapshot('u1', 1, 'Europe/Paris'));
  await log.send(topics.refUserSettings, [{ key: 'u1', value: 'not json' }]);
  const consumer = await startUserSettingsConsumer(log, settings);
  t.teardown(async () => {
    await consumer.close();
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const deadline = Date.now() + 5_000;
  while ((await settings.get('u1')).timeZone === 'UTC' && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 50));
  await new Promise((resolve) => setTimeout(resolve, 200));
  t.deepEqual(await settings.get('u1'), { timeZone: 'Pacific/Auckland', homeCurrency: 'NZD' });
  t.deepEqual(await settings.get('u2'), { timeZone: 'UTC', homeCurrency: 'EUR' });
});
