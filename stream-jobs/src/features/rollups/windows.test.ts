import test from 'ava';
import { seededRandom } from '@spendstream/core/testing/random';
import {
  windowsOf,
  budgetPeriodStart,
  localDateAt,
  localDateOf,
  nextLocalDate,
  plainInstantMillis,
  utcInstantOf,
  utcIsoOf,
} from './windows.js';
import { DateTime } from 'luxon';

const auckland = { timeZone: 'Pacific/Auckland', budgetStartDay: 25 };
const losAngeles = { timeZone: 'America/Los_Angeles', budgetStartDay: 25 };

test('a transaction at 23:30 in Auckland lands in its local day, week, month and budget period', (t) => {
  // 2026-11-29 23:30 NZDT (+13) is 2026-11-29T10:30Z: still Sunday the 29th locally.
  const w = windowsOf('2026-11-29T10:30:00Z', auckland);
  t.is(w.day.period, '2026-11-29');
  t.is(w.week.period, '2026-W48');
  t.is(w.month.period, '2026-11');
  t.is(w.budget.period, '2026-11-25');
  t.is(w.day.start, '2026-11-28T11:00:00.000Z');
  t.is(w.day.end, '2026-11-29T11:00:00.000Z');
});

test('a transaction at 23:30 on the 30th in Auckland is in November there though UTC says the 30th too', (t) => {
  // 2026-11-30 23:30 NZDT = 10:30Z; one hour later it is December locally but not in UTC.
  t.is(windowsOf('2026-11-30T10:30:00Z', auckland).month.period, '2026-11');
  t.is(windowsOf('2026-11-30T11:30:00Z', auckland).month.period, '2026-12');
  t.is(windowsOf('2026-11-30T11:30:00Z', auckland).week.period, '2026-W49');
});

test('a transaction at 23:30 in Los Angeles stays on its local day though UTC is already the next day', (t) => {
  // 2026-11-24 23:30 PST (-8) is 2026-11-25T07:30Z: the budget period starting on the 25th has not begun locally.
  const w = windowsOf('2026-11-25T07:30:00Z', losAngeles);
  t.is(w.day.period, '2026-11-24');
  t.is(w.budget.period, '2026-10-25');
  t.is(w.budget.end, '2026-11-25T08:00:00.000Z');
  const later = windowsOf('2026-11-25T08:00:00Z', losAngeles);
  t.is(later.day.period, '2026-11-25');
  t.is(later.budget.period, '2026-11-25');
});

test('the ISO week of a Sunday 23:30 in Los Angeles is the week that began on Monday, year boundary included', (t) => {
  // Sunday 2027-01-03 23:30 PST = 2027-01-04T07:30Z, which is Monday (W01) in UTC.
  const w = windowsOf('2027-01-04T07:30:00Z', losAngeles);
  t.is(w.day.period, '2027-01-03');
  t.is(w.week.period, '2026-W53');
  t.is(w.month.period, '2027-01');
});

test('the local day is 23 hours long on the day Los Angeles springs forward and 25 when it falls back', (t) => {
  const spring = windowsOf('2026-03-08T18:00:00Z', losAngeles).day;
  t.is(spring.period, '2026-03-08');
  t.is(DateTime.fromISO(spring.end).diff(DateTime.fromISO(spring.start), 'hours').hours, 23);
  const fall = windowsOf('2026-11-01T18:00:00Z', losAngeles).day;
  t.is(DateTime.fromISO(fall.end).diff(DateTime.fromISO(fall.start), 'hours').hours, 25);
});

test('Auckland DST: 23:30 on the day clocks go forward is still that local day', (t) => {
  // NZ springs forward on 2026-09-27 at 02:00 (+12 -> +13): 23:30 NZDT that day is 10:30Z.
  const w = windowsOf('2026-09-27T10:30:00Z', auckland).day;
  t.is(w.period, '2026-09-27');
  t.is(w.start, '2026-09-26T12:00:00.000Z');
  t.is(w.end, '2026-09-27T11:00:00.000Z');
  // NZ falls back on 2026-04-05 at 03:00 (+13 -> +12): a 25-hour day.
  const fall = windowsOf('2026-04-05T11:30:00Z', auckland).day;
  t.is(fall.period, '2026-04-05');
  t.is(DateTime.fromISO(fall.end).diff(DateTime.fromISO(fall.start), 'hours').hours, 25);
});

test('a budget period starting on the 31st starts on the last day of shorter months', (t) => {
  const zone = 'UTC';
  const start = (iso: string) => budgetPeriodStart(DateTime.fromISO(iso, { zone }), 31).toISODate();
  t.is(start('2026-02-28T12:00:00'), '2026-02-28');
  t.is(start('2026-02-27T12:00:00'), '2026-01-31');
  t.is(start('2026-03-30T12:00:00'), '2026-02-28');
  const w = windowsOf('2026-02-10T00:00:00Z', { timeZone: zone, budgetStartDay: 31 }).budget;
  t.is(w.start, '2026-01-31T00:00:00.000Z');
  t.is(w.end, '2026-02-28T00:00:00.000Z');
});

test('budget start day 1 is the calendar month', (t) => {
  const w = windowsOf('2026-11-30T10:00:00Z', { timeZone: 'UTC', budgetStartDay: 1 });
  t.is(w.budget.period, '2026-11-01');
  t.is(w.budget.end, w.month.end);
});

test('it rejects an unknown zone and a malformed instant with a validation error', (t) => {
  t.throws(
    () => windowsOf('2026-11-30T10:00:00Z', { timeZone: 'Mars/Olympus', budgetStartDay: 1 }),
    { message: /time zone/ },
  );
  t.throws(() => windowsOf('yesterday', auckland), { message: /ISO 8601/ });
  t.throws(() => windowsOf('2026-11-30T10:00:00Z', { timeZone: 'UTC', budgetStartDay: 0 }), {
    message: /budgetStartDay/,
  });
});

test('the next local date is the calendar day after, across month, year and leap-day ends', (t) => {
  t.is(nextLocalDate('2028-02-28'), '2028-02-29');
  t.is(nextLocalDate('2026-02-28'), '2026-03-01');
  t.is(nextLocalDate('2026-12-31'), '2027-01-01');
  // Every day of four years, leap year included, against luxon's calendar.
  let day = DateTime.fromISO('2026-01-01', { zone: 'UTC' });
  for (let i = 0; i < 4 * 366; i += 1) {
    const next = day.plus({ days: 1 });
    t.is(nextLocalDate(day.toISODate()!), next.toISODate()!);
    day = next;
  }
});

test('the local date and UTC instant without luxon equal luxon for plain instants in many zones, across DST switches', (t) => {
  const zones = [
    'UTC',
    'Pacific/Auckland',
    'America/Los_Angeles',
    'Australia/Lord_Howe', // a 30-minute DST switch
    'Asia/Kathmandu', // +05:45
    'America/St_Johns', // -03:30 with DST
    'Pacific/Chatham', // +12:45 / +13:45
    'Europe/London',
    'Asia/Tehran', // +03:30, fell back at local midnight: the date changes in mid UTC hour
  ];
  const random = seededRandom(7);
  const instants: number[] = [];
  // Random instants from 1970 to 2100, and every 5 minutes around the 2026 switches of these zones.
  for (let i = 0; i < 300; i += 1) instants.push(Math.floor(random() * 4_102_444_800_000));
  for (const switchAt of [
    '2026-04-05T00:00:00Z',
    '2026-09-26T12:00:00Z',
    '2026-03-08T08:00:00Z',
    '2026-11-01T07:00:00Z',
    '2026-10-03T14:00:00Z',
    '2021-09-21T19:00:00Z',
  ])
    for (let m = -180; m <= 180; m += 5) instants.push(Date.parse(switchAt) + m * 60_000);
  for (const ms of instants) {
    const offset = DateTime.fromMillis(ms, { zone: 'Asia/Kolkata' }); // a written offset, +05:30
    const forms = [
      new Date(ms).toISOString(),
      new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z'),
      offset.toISO()!,
      offset.toFormat("yyyy-MM-dd'T'HH:mm:ss.SZZ"),
      offset.toFormat("yyyy-MM-dd'T'HH:mmZZ"),
    ];
    for (const text of forms) {
      const viaLuxon = DateTime.fromISO(text, { setZone: true });
      t.is(utcInstantOf(text), viaLuxon.toUTC().toISO()!, text);
      for (const zone of zones) {
        const expected = viaLuxon.setZone(zone).toISODate()!;
        t.is(localDateOf(text, zone), expected, `${text} ${zone}`);
        t.is(localDateAt(viaLuxon.toMillis(), zone), expected, `${text} ${zone}`);
      }
    }
  }
});

test('instants outside the plain form go to luxon, and what luxon refuses is refused', (t) => {
  t.is(plainInstantMillis('2026-11-25T10:00:00+13:00'), Date.parse('2026-11-24T21:00:00Z'));
  for (const text of [
    '2026-02-30T10:00:00Z', // no such day
    '2026-11-25T24:00:00Z',
    '1969-12-31T23:59:59Z', // before 1970: luxon reads it
    '2026-11-25T10:00:00.123456Z', // more than milliseconds
    '2026-11-25T10:00:00+1300', // offset without a colon
    '2026-11-25 10:00:00Z',
  ])
    t.is(plainInstantMillis(text), undefined, text);
  t.is(utcInstantOf('1969-12-31T23:59:59Z'), '1969-12-31T23:59:59.000Z');
  t.is(utcInstantOf('2026-11-25T10:00:00+1300'), '2026-11-24T21:00:00.000Z');
  t.is(localDateOf('2026-11-25T10:00:00.123456Z', 'Pacific/Auckland'), '2026-11-25');
  t.throws(() => utcInstantOf('2026-02-30T10:00:00Z'), { message: /not an ISO 8601 instant/ });
  t.throws(() => localDateOf('2026-02-30T10:00:00Z', 'UTC'), {
    message: /not an ISO 8601 instant/,
  });
  t.throws(() => localDateOf('2026-11-25T10:00:00Z', 'Mars/Olympus'), {
    message: /unknown time zone/,
  });
  t.throws(() => localDateAt(0, 'Mars/Olympus'), { message: /unknown time zone/ });
});

test('utcIsoOf writes an instant as luxon does, again for each new DateTime', (t) => {
  const first = DateTime.fromISO('2026-11-25T23:30:00+13:00', { setZone: true });
  const second = DateTime.fromISO('2026-03-08T01:59:59.999-08:00', { setZone: true });
  t.is(utcIsoOf(first), '2026-11-25T10:30:00.000Z');
  t.is(utcIsoOf(first), first.toUTC().toISO()!);
  t.is(utcIsoOf(second), '2026-03-08T09:59:59.999Z');
  t.is(utcIsoOf(first), '2026-11-25T10:30:00.000Z');
});
