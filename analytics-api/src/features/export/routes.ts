/**
 * GET /v1/transactions/export: the filtered search as CSV, streamed page by page so memory stays
 * flat, bounded by `exportRowsMax`.
 */
import Router from '@koa/router';
import { Readable } from 'node:stream';
import { z } from 'zod';
import { authScopes, requireAuth } from '@spendstream/core/auth';
import { parseQuery } from '@spendstream/core/http';
import type { FeatureDeps } from '../../http/deps.js';
import type { AnalyticsStore, SearchQuery, TransactionDoc } from '../../query/analytics-store.js';
import { searchFilterParams, searchQueryOf } from '../search/search-params.js';

/** Most rows one export writes. */
export const exportRowsMax = 100_000;
/** Rows fetched per store page while streaming. */
export const exportPageSize = 500;

export const exportQuery = z.object(searchFilterParams).strict();

export const exportColumns = [
  'id',
  'occurredAt',
  'localDate',
  'walletId',
  'kind',
  'status',
  'amount',
  'currency',
  'homeAmount',
  'homeCurrency',
  'category',
  'subcategory',
  'merchant',
  'description',
  'note',
  'tags',
] as const;

/** Minor units as a plain decimal (1234 with exponent 2 is 12.34). */
function decimal(amountMinor: bigint, exponent: number): string {
  if (exponent === 0) return amountMinor.toString();
  const digits = amountMinor.toString().padStart(exponent + 1, '0');
  return `${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
}

/**
 * One CSV field: quoted when needed, and a leading = + - @ neutralized so a spreadsheet never runs
 * a merchant name as a formula.
 */
export function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

export function csvRow(doc: TransactionDoc, exponentOf: (currency: string) => number): string {
  const values = [
    doc.id,
    doc.occurredAt,
    doc.localDate,
    doc.walletId,
    doc.kind,
    doc.status,
    decimal(doc.amountMinor, exponentOf(doc.currency)),
    doc.currency,
    decimal(doc.homeAmountMinor, exponentOf(doc.homeCurrency)),
    doc.homeCurrency,
    doc.category,
    doc.subcategory ?? '',
    doc.merchant ?? '',
    doc.description,
    doc.note ?? '',
    doc.tags.join(';'),
  ];
  return `${values.map(csvField).join(',')}\r\n`;
}

async function* csvLines(
  store: AnalyticsStore,
  query: Omit<SearchQuery, 'limit' | 'withFacets'>,
  exponentOf: (currency: string) => number,
): AsyncGenerator<string> {
  const pageAfter = (cursor: SearchQuery['cursor']) =>
    store.search({ ...query, cursor, limit: exportPageSize, withFacets: false });
  // The first page is read before the header is yielded (see the route).
  let page = await pageAfter(undefined);
  yield `${exportColumns.join(',')}\r\n`;
  let written = 0;
  for (;;) {
    for (const doc of page.items) {
      if (written >= exportRowsMax) return;
      yield csvRow(doc, exponentOf);
      written += 1;
    }
    if (!page.next || written >= exportRowsMax) return;
    page = await pageAfter(page.next);
  }
}

export function createExportRouter(
  deps: FeatureDeps,
  exponentOf: (currency: string) => number,
): Router {
  const router = new Router();
  const read = requireAuth(deps.verifier, { scopes: [authScopes.transactionsRead] });

  router.get('/v1/transactions/export', read, async (ctx) => {
    const input = parseQuery(ctx, exportQuery);
    const query = await searchQueryOf(ctx, deps, input);
    // Fetch the first page before answering, so a failing backend is a problem+json, not a cut stream.
    const lines = csvLines(deps.store, query, exponentOf);
    const first = await lines.next();
    ctx.type = 'text/csv; charset=utf-8';
    ctx.set('Content-Disposition', 'attachment; filename="transactions.csv"');
    ctx.body = Readable.from(
      (async function* () {
        if (!first.done) yield first.value;
        yield* lines;
      })(),
    );
  });

  return router;
}
