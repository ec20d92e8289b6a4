import test from 'ava';
import { createLogger, createMemoryLogger } from './log.js';

test('a line is one JSON object with time, level, service, msg, then the fields', (t) => {
  const lines: string[] = [];
  const log = createLogger({
    service: 'wallet-api',
    write: (line) => void lines.push(line),
    now: () => new Date('2026-01-02T03:04:05.000Z'),
  });
  log.info('wallet created', { walletId: 'w1', amount: 2n ** 62n });
  t.is(lines.length, 1);
  t.true(lines[0]!.endsWith('\n'));
  t.is(
    lines[0],
    '{"time":"2026-01-02T03:04:05.000Z","level":"info","service":"wallet-api","msg":"wallet created","walletId":"w1","amount":"4611686018427387904"}\n',
  );
});

test('lines below the level are dropped and silent drops everything', (t) => {
  const { log, records } = createMemoryLogger('s', 'warn');
  log.debug('d');
  log.info('i');
  log.warn('w');
  log.error('e');
  t.deepEqual(
    records.map((r) => r.level),
    ['warn', 'error'],
  );
  const silent = createMemoryLogger('s', 'silent');
  silent.log.error('e');
  t.is(silent.records.length, 0);
});

test('a child logger adds its fields to every line and cannot overwrite the fixed keys', (t) => {
  const { log, records } = createMemoryLogger('ingest-api');
  const child = log.child({ requestId: 'r1', service: 'spoofed' }).child({ job: 'j' });
  child.info('hello', { msg: 'spoofed', n: 1 });
  t.like(records[0], { service: 'ingest-api', msg: 'hello', requestId: 'r1', job: 'j', n: 1 });
});

test('errors are logged with name, message, code and stack; cycles do not throw', (t) => {
  const { log, records } = createMemoryLogger();
  const error = Object.assign(new Error('boom', { cause: new Error('root') }), { code: 'E_X' });
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  log.error('failed', { err: error, cyclic });
  const err = records[0]!.err as Record<string, unknown>;
  t.like(err, {
    name: 'Error',
    message: 'boom',
    code: 'E_X',
    cause: { name: 'Error', message: 'root' },
  });
  t.regex(String(err.stack), /log\.test\.ts/);
  t.deepEqual(records[0]!.cyclic, { a: 1, self: '[cycle]' });
});
