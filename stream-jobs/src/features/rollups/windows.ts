/**
 * Event-time calendar windows, cut in the user's time zone. A transaction's instant (`occurredAt`)
 * lands in exactly one window of each grain: the local day, the ISO week, the month, and the user's
 * budget period (a month starting on day N of the month, e.g. payday on the 25th).
 */
import { DateTime } from 'luxon';
import { ValidationError } from '@spendstream/core/errors';
import { BoundedMap } from '@spendstream/core/bounded-map';

/** The window grains, part of every rollup key. */
export const grains = ['day', 'week', 'month', 'budget'] as const;
export type Grain = (typeof grains)[number];

/** Budget periods start on a day of the month from 1 to this (a later day means "the last day"). */
export const budgetStartDayMax = 31;

/** The window of one grain: a label and its bounds as UTC instants (start inclusive, end exclusive). */
export interface Window {
  grain: Grain;
  /** `2026-11-25` (day), `2026-W48` (week), `2026-11` (month), `2026-10-25` (budget: its first day). */
  period: string;
  start: string;
  end: string;
}

export interface WindowSettings {
  /** An IANA zone (`Pacific/Auckland`). */
  timeZone: string;
  /** The day of the month a budget period starts on, 1..31; 1 means calendar months. */
  budgetStartDay: number;
}

/** Parse an ISO 8601 instant into a luxon DateTime in `zone`; throws a ValidationError naming what is wrong. */
export function localTime(occurredAt: string, zone: string): DateTime {
  const instant = DateTime.fromISO(occurredAt, { setZone: true });
  if (!instant.isValid)
    throw new ValidationError(`occurredAt is not an ISO 8601 instant: ${occurredAt}`, {
      field: 'occurredAt',
    });
  const local = instant.setZone(zone);
  if (!local.isValid)
    throw new ValidationError(`unknown time zone: ${zone}`, { field: 'timeZone' });
  return local;
}

/** The last instant written out by `utcIsoOf`: a batch stamps all its documents and alerts at one `now`. */
let lastUtcIso: { at: DateTime; iso: string } | undefined;

/** `at.toUTC().toISO()`, written once for the same `DateTime` object called again. */
export function utcIsoOf(at: DateTime): string {
  if (lastUtcIso?.at !== at) lastUtcIso = { at, iso: at.toUTC().toISO()! };
  return lastUtcIso.iso;
}

/** Most dates kept in `nextDates` (about 11 years of days). */
const nextDatesMax = 4_096;
/**
 * Next days already computed, by date: the alert rules ask it for every transaction, and a batch
 * holds few distinct local dates (the split, the `Date` and its ISO text were about 1% of the
 * embedded bench's main thread). Emptied when full.
 */
const nextDates = new BoundedMap<string, string>(nextDatesMax);

/**
 * The calendar day after a local date (`2026-02-28` -> `2026-03-01`): plain date arithmetic, the
 * same in every zone (a local day always has a next local day), without a luxon object per call.
 */
export function nextLocalDate(date: string): string {
  let next = nextDates.get(date);
  if (next === undefined) {
    const [year, month, day] = date.split('-').map(Number) as [number, number, number];
    next = new Date(Date.UTC(year, month - 1, day + 1)).toISOString().slice(0, 10);
    nextDates.set(date, next);
  }
  return next;
}

/** Whether `zone` is an IANA zone luxon knows. */
export function isValidZone(zone: string): boolean {
  return DateTime.now().setZone(zone).isValid;
}

/** The first day of the budget period containing `local`: day N of this month or the one before. */
export function budgetPeriodStart(local: DateTime, budgetStartDay: number): DateTime {
  if (
    !Number.isInteger(budgetStartDay) ||
    budgetStartDay < 1 ||
    budgetStartDay > budgetStartDayMax
  ) {
    throw new ValidationError(`budgetStartDay must be an integer from 1 to ${budgetStartDayMax}`, {
      field: 'budgetStartDay',
    });
  }
  const startIn = (month: DateTime): DateTime => {
    // "The 31st" in a 30-day month is its last day; in February the 28th or 29th.
    const day = Math.min(budgetStartDay, month.daysInMonth ?? 28);
    return month.set({ day }).startOf('day');
  };
  const thisMonth = startIn(local.startOf('month'));
  return local >= thisMonth ? thisMonth : startIn(local.startOf('month').minus({ months: 1 }));
}

function window(grain: Grain, period: string, start: DateTime, end: DateTime): Window {
  return { grain, period, start: start.toUTC().toISO()!, end: end.toUTC().toISO()! };
}

/** An instant written `YYYY-MM-DDTHH:mm[:ss[.S-SSS]]` then `Z` or `+HH:mm`: read without luxon. */
const plainInstant =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(?:Z|([+-])(\d{2}):(\d{2}))$/;
const minuteMs = 60_000;
const hourMs = 3_600_000;

/**
 * The epoch milliseconds of an instant in the plain form above with every field in range (from
 * 1970), else undefined: the caller then asks luxon, which also says what is wrong.
 */
export function plainInstantMillis(text: string): number | undefined {
  const m = plainInstant.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute] = [m[1], m[2], m[3], m[4], m[5]].map(Number) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const millis = m[7] === undefined ? 0 : Number(m[7].padEnd(3, '0'));
  const offsetHours = m[9] === undefined ? 0 : Number(m[9]);
  const offsetMinutes = m[10] === undefined ? 0 : Number(m[10]);
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (
    year < 1970 ||
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > daysInMonth ||
    hour > 23 ||
    minute > 59 ||
    second > 59 ||
    offsetHours > 23 ||
    offsetMinutes > 59
  )
    return undefined;
  const offset = (m[8] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMinutes);
  return Date.UTC(year, month - 1, day, hour, minute, second, millis) - offset * minuteMs;
}

/** Hours (per zone) whose UTC offset is kept: a few years of hours of a few zones. */
export const hourOffsetsCacheSizeMax = 100_000;
const hourOffsets = new BoundedMap<string, number | null>(hourOffsetsCacheSizeMax);

/**
 * The zone's UTC offset in minutes at `ms`, from a cache per zone and UTC hour; undefined for an
 * unknown zone or an hour in which the offset changes (a DST switch): the caller asks luxon then.
 * An offset equal at the first and the last millisecond of an hour holds for all of it (no zone
 * changes its offset twice within an hour).
 */
function cachedOffsetMinutes(ms: number, zone: string): number | undefined {
  const hour = Math.floor(ms / hourMs);
  const key = `${zone}|${hour}`;
  let offset = hourOffsets.get(key);
  if (offset === undefined) {
    const first = DateTime.fromMillis(hour * hourMs, { zone });
    const last = DateTime.fromMillis(hour * hourMs + hourMs - 1, { zone });
    offset = first.isValid && last.isValid && first.offset === last.offset ? first.offset : null;
    hourOffsets.set(key, offset);
  }
  return offset ?? undefined;
}

/** The local calendar date (`2026-11-25`) of epoch milliseconds in `zone`. */
export function localDateAt(ms: number, zone: string): string {
  const offset = cachedOffsetMinutes(ms, zone);
  if (offset === undefined) {
    const local = DateTime.fromMillis(ms, { zone });
    if (!local.isValid)
      throw new ValidationError(`unknown time zone: ${zone}`, { field: 'timeZone' });
    return local.toISODate()!;
  }
  return new Date(ms + offset * minuteMs).toISOString().slice(0, 10);
}

/** The local calendar date of an ISO instant in `zone`; throws like `localTime`. */
export function localDateOf(occurredAt: string, zone: string): string {
  const ms = plainInstantMillis(occurredAt);
  return ms === undefined ? localTime(occurredAt, zone).toISODate()! : localDateAt(ms, zone);
}

/** An ISO instant as `YYYY-MM-DDTHH:mm:ss.SSSZ` (what luxon's `toUTC().toISO()` writes). */
export function utcInstantOf(occurredAt: string): string {
  const ms = plainInstantMillis(occurredAt);
  if (ms !== undefined) return new Date(ms).toISOString();
  const instant = DateTime.fromISO(occurredAt, { setZone: true });
  if (!instant.isValid)
    throw new ValidationError(`occurredAt is not an ISO 8601 instant: ${occurredAt}`, {
      field: 'occurredAt',
    });
  return instant.toUTC().toISO()!;
}

/** Local days whose windows are kept (they depend only on zone, budget start day and local date). */
export const windowsCacheSizeMax = 20_000;
const windowsCache = new BoundedMap<string, Readonly<Record<Grain, Window>>>(windowsCacheSizeMax);

/**
 * The windows of every grain containing `occurredAt` for a user with these settings. Every instant
 * of one local day has the same windows, so they are computed once per zone, budget start day and
 * local date (time-zone arithmetic in luxon was about a tenth of the jobs' CPU), and the local date
 * of a plain instant is found without luxon (`localDateOf`).
 */
export function windowsOf(
  occurredAt: string,
  settings: WindowSettings,
): Readonly<Record<Grain, Window>> {
  const date = localDateOf(occurredAt, settings.timeZone);
  const cacheKey = `${settings.timeZone}|${settings.budgetStartDay}|${date}`;
  const cached = windowsCache.get(cacheKey);
  if (cached) return cached;
  const windows = Object.freeze(computeWindows(localTime(occurredAt, settings.timeZone), settings));
  windowsCache.set(cacheKey, windows);
  return windows;
}

function computeWindows(local: DateTime, settings: WindowSettings): Record<Grain, Window> {
  const day = local.startOf('day');
  const week = local.startOf('week'); // luxon weeks are ISO weeks: Monday first.
  const month = local.startOf('month');
  const budget = budgetPeriodStart(local, settings.budgetStartDay);
  const budgetEnd = budgetPeriodStart(
    budget.plus({ months: 1 }).endOf('month'),
    settings.budgetStartDay,
  );
  return {
    day: window('day', day.toISODate()!, day, day.plus({ days: 1 })),
    week: window('week', week.toFormat("kkkk-'W'WW"), week, week.plus({ weeks: 1 })),
    month: window('month', month.toFormat('yyyy-MM'), month, month.plus({ months: 1 })),
    budget: window('budget', budget.toISODate()!, budget, budgetEnd),
  };
}

/** The window of `grain` containing `instant` (an ISO instant or a DateTime), for "now" comparisons. */
export function windowAt(instant: DateTime, grain: Grain, settings: WindowSettings): Window {
  return windowsOf(instant.toUTC().toISO()!, settings)[grain];
}
