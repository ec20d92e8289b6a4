import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { ValidationError } from '../errors.js';
import { createEventLog, embeddedEventLogFileName, parseKafkaBrokers } from './factory.js';

test('no KAFKA_BROKERS means the embedded log, in dataDir', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'event-log-factory-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const log = await createEventLog({ kafkaBrokers: '', dataDir: join(dir, 'data') });
  t.is(log.kind, 'embedded');
  t.true(existsSync(join(dir, 'data', embeddedEventLogFileName)), 'the SQLite file is created');
  await log.close();
});

test('KAFKA_BROKERS set means the Kafka adapter', async (t) => {
  const log = await createEventLog({ kafkaBrokers: '127.0.0.1:1', dataDir: '/nonexistent' });
  t.is(log.kind, 'kafka');
  await log.close();
});

test('a malformed KAFKA_BROKERS or a missing dataDir is refused naming the setting', async (t) => {
  const bad = await t.throwsAsync(createEventLog({ kafkaBrokers: 'localhost' }), {
    instanceOf: ValidationError,
  });
  t.is(bad?.field, 'KAFKA_BROKERS');
  const none = await t.throwsAsync(createEventLog({}), { instanceOf: ValidationError });
  t.is(none?.field, 'dataDir');
  t.deepEqual(parseKafkaBrokers(' a:9092, b:9093 '), ['a:9092', 'b:9093']);
});
