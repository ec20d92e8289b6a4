import test from 'ava';
import { bucketStart, bucketStartCacheEntriesMax, monthStartDayMax } from './periods.js';

const dayMs = 86_400_000;
const text = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** Every local date from `from` (inclusive) for `count` days, by plain UTC arithmetic. */
function days(from: string, count: number): string[] {
  const start = Date.parse(`${from}T00:00:00Z`);
  return Array.from({ length: count }, (_, n) => text(start + n * dayMs));
}

/** The ISO week's Monday and the month starting on `startDay`, without luxon. */
function expectedStart(date: string, size: 'week' | 'month', startDay: number): string {
  const ms = Date.parse(`${date}T00:00:00Z`);
  if (size === 'week') return text(ms - ((new Date(ms).getUTCDay() + 6) % 7) * dayMs);
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  const back = day >= startDay ? 0 : 1;
  return text(Date.UTC(year, month - 1 - back, startDay));
}

test('bucket starts of every day of four years equal plain date arithmetic, asked once and again', (t) => {
  const all = days('2024-01-01', 4 * 366);
  for (const [size, startDay] of [
    ['week', 1],
    ['month', 1],
    ['month', 15],
    ['month', monthStartDayMax],
  ] as const) {
    for (let round = 0; round < 2; round += 1) {
      const wrong = all.filter(
        (date) => bucketStart(date, size, startDay) !== expectedStart(date, size, startDay),
      );
      t.deepEqual(wrong, [], `${size} starting on ${startDay}, round ${round + 1}`);
    }
  }
  t.is(bucketStart('2026-03-04', 'day'), '2026-03-04');
});

test('bucket starts stay right after more distinct days than the cache keeps', (t) => {
  const many = days('1900-01-01', bucketStartCacheEntriesMax + 1_000);
  const wrong = many.filter((date) => bucketStart(date, 'week') !== expectedStart(date, 'week', 1));
  t.deepEqual(wrong, []);
  t.is(bucketStart('2026-03-04', 'month', 25), '2026-02-25');
});
