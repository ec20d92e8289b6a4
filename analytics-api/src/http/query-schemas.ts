/**
 * Query-string pieces shared by the analytics routes: repeated or comma-separated lists, local
 * dates, periods, amounts in minor units. Unknown parameters are refused (a typo is a 400, not a
 * silently ignored filter).
 */
import { z } from 'zod';
import { amountMinorMax } from '@spendstream/core/money';
import { categoryIdLengthMax, idSchema } from '@spendstream/core/events';
import { ValidationError } from '@spendstream/core/errors';
import type { CategoryCatalog } from '../domain/categories.js';
import { monthStartDayMax, periodKinds, type PeriodSpec } from '../domain/periods.js';

/** Most values one list parameter may carry. */
export const listValuesMax = 50;

/** A list parameter: `?x=a&x=b` or `?x=a,b`. */
export function listParam<T extends z.ZodType<string>>(item: T) {
  return z.preprocess((value) => {
    if (value === undefined) return undefined;
    const values = Array.isArray(value) ? value : [value];
    return values.flatMap((entry) => String(entry).split(',')).filter((entry) => entry !== '');
  }, z.array(item).min(1).max(listValuesMax).optional());
}

/**
 * The dates a query may name: every period around one of them (up to a year, the period before
 * it and the same period a year earlier) is then a plain `YYYY-MM-DD` range (a period ending after
 * 9999-12-31 would end on `+010000-01-01`).
 */
export const localDateMin = '1900-01-01';
export const localDateMax = '9998-12-31';

export const localDateParam = z.iso
  .date({ error: 'expected a date YYYY-MM-DD' })
  .refine((date) => date >= localDateMin && date <= localDateMax, {
    error: `expected a date from ${localDateMin} to ${localDateMax}`,
  });

/** A non-negative integer number of minor units, written as digits. */
export const minorUnitsParam = z
  .string()
  .regex(/^(0|[1-9][0-9]{0,15})$/, 'expected a whole number of minor units, e.g. 1250')
  .transform((text) => BigInt(text))
  .refine((value) => value <= amountMinorMax, `at most ${amountMinorMax} minor units`);

export const booleanParam = z.enum(['true', 'false']).transform((value) => value === 'true');

/** The period parameters: either `from` + `to` (inclusive) or `period` + `date` (+ `startDay`). */
export const periodParams = {
  period: z.enum(periodKinds).optional(),
  date: localDateParam.optional(),
  startDay: z.coerce.number().int().min(1).max(monthStartDayMax).optional(),
  from: localDateParam.optional(),
  to: localDateParam.optional(),
};

/** The query of a route whose only parameter is a machine client's `userId`. */
export const userIdQuery = z.object({ userId: idSchema.optional() }).strict();

export const commonParams = {
  userId: idSchema.optional(),
  walletId: listParam(idSchema),
  /** Category leaf ids (`food`, `groceries`); a top-level id includes its subcategories. */
  category: listParam(z.string().min(1).max(categoryIdLengthMax)),
};

/** Turn the period parameters into a spec; `today` anchors a period without a date. */
export function periodSpecOf(
  query: {
    period?: PeriodSpec['kind'];
    date?: string;
    startDay?: number;
    from?: string;
    to?: string;
  },
  today: string,
  defaultKind: 'day' | 'week' | 'month' | 'year' = 'month',
): PeriodSpec {
  if (query.from !== undefined || query.to !== undefined) {
    if (query.from === undefined || query.to === undefined) {
      throw new ValidationError('from and to go together', {
        field: query.from === undefined ? 'from' : 'to',
      });
    }
    if (query.period !== undefined || query.date !== undefined) {
      throw new ValidationError('give either from/to or period/date, not both', {
        field: 'period',
      });
    }
    return { kind: 'custom', from: query.from, toInclusive: query.to };
  }
  const kind = query.period === 'custom' || query.period === undefined ? defaultKind : query.period;
  return { kind, anchor: query.date ?? today, monthStartDay: query.startDay };
}

/** Refuse category ids the catalog does not know. */
export function assertKnownCategories(
  catalog: Pick<CategoryCatalog, 'has'>,
  ids: string[] | undefined,
  field = 'category',
): void {
  for (const id of ids ?? []) {
    if (!catalog.has(id))
      throw new ValidationError(`unknown category ${JSON.stringify(id)}`, { field });
  }
}
