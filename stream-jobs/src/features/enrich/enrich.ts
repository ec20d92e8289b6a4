/**
 * Enrichment: a raw transaction plus what we know about its user becomes the canonical document.
 * Pure: every input is an argument, so a replay with the same inputs yields the same document.
 */
import type { DateTime } from 'luxon';
import type { CurrencyCode } from '@spendstream/core/money';
import type { Budget, UserSettingsV1 } from '@spendstream/core/events/reference';
import {
  transactionKindDirection,
  type RawTransactionV1,
} from '@spendstream/core/events/transactions';
import { categorize, type CategorizationContext } from '../categorize/categorize.js';
import {
  categoryRevisionSlots,
  type BudgetPeriodRef,
  type TransactionDocument,
} from '../documents/transaction-document.js';
import { budgetPeriodOf, budgetMatches } from '../rollups/budgets.js';
import { utcInstantOf, utcIsoOf, windowsOf } from '../rollups/windows.js';
import { normalizeMerchant } from './merchants.js';
import type { RatesTable } from './rates.js';

/** Settings used when a user's settings have not arrived yet: UTC, and the transaction's currency. */
export const defaultTimeZone = 'UTC';

/** What enrichment knows about a user. */
export interface UserContext {
  settings?: Pick<UserSettingsV1, 'timeZone' | 'homeCurrency'> | undefined;
  budgets: readonly Budget[];
  categorization: CategorizationContext;
  /** The number of accepted recategorizations of this transaction (0 when none). */
  categoryRevision: number;
  /** The tags and note the user set on this transaction, if any (they win over the source's). */
  annotation?: UserAnnotation | undefined;
}

/** What the user set on one transaction (`transaction.annotated`): each given field wins whole. */
export interface UserAnnotation {
  tags?: string[];
  /** `null`: cleared by the user. */
  note?: string | null;
  /** Accepted annotations so far (raises the document version). */
  revision: number;
}

export interface EnrichInput {
  raw: RawTransactionV1;
  /** The raw event's id. */
  eventId: string;
  user: UserContext;
  rates: RatesTable;
  /** Processing time, for `processedAt`. */
  now: DateTime;
}

/** Builds the canonical document of a raw transaction. Throws ValidationError on an unconvertible currency. */
export function enrich({ raw, eventId, user, rates, now }: EnrichInput): TransactionDocument {
  const timeZone = user.settings?.timeZone ?? defaultTimeZone;
  const homeCurrency: CurrencyCode = user.settings?.homeCurrency ?? raw.amount.currency;
  const windows = windowsOf(raw.occurredAt, { timeZone, budgetStartDay: 1 });
  const localDate = windows.day.period;
  const merchant = normalizeMerchant(
    raw.merchant ?? raw.description ?? '',
    raw.merchant ? undefined : null,
  );
  const categorization = categorize(
    {
      kind: raw.kind,
      amount: raw.amount,
      walletId: raw.walletId,
      merchant: raw.merchant,
      description: raw.description,
      mcc: raw.mcc,
      bankCategory: raw.bankCategory,
      category: raw.category,
      transfer: raw.transfer,
      merchantKey: merchant.merchantId,
      merchantName: merchant.name,
      merchantCategory: merchant.categoryId,
    },
    user.categorization,
  );
  const converted = rates.convert(raw.amount, homeCurrency, localDate);
  const direction = transactionKindDirection[raw.kind];
  const ruleTags = categorization.assignment.ruleId
    ? (user.categorization.rules.find((r) => r.ruleId === categorization.assignment.ruleId)
        ?.addTags ?? [])
    : [];
  const annotation = user.annotation;
  const tags = annotation?.tags ?? [...new Set([...raw.tags, ...ruleTags])];
  const note = annotation?.note !== undefined ? (annotation.note ?? undefined) : raw.note;
  const annotationRevision = annotation?.revision ?? 0;
  const doc: TransactionDocument = {
    id: raw.transactionId,
    userId: raw.userId,
    walletId: raw.walletId,
    source: raw.source,
    externalId: raw.externalId,
    version: raw.version * categoryRevisionSlots + user.categoryRevision + annotationRevision,
    rawVersion: raw.version,
    categoryRevision: user.categoryRevision,
    annotationRevision,
    status: raw.status,
    kind: raw.kind,
    direction,
    amountMinor: raw.amount.amount,
    currency: raw.amount.currency,
    homeAmountMinor: converted.amount.amount,
    homeCurrency,
    conversion: {
      rate: converted.rate,
      rateDate: converted.rateDate,
      rounding: converted.rounding,
      provider: converted.provider,
    },
    occurredAt: raw.occurredAt,
    occurredAtUtc: utcInstantOf(raw.occurredAt),
    timeZone,
    localDate,
    localWeek: windows.week.period,
    localMonth: windows.month.period,
    merchantRaw: raw.merchant,
    merchantKey: merchant.merchantId,
    merchantName: merchant.name,
    description: raw.description,
    note,
    sourceNote: raw.note,
    mcc: raw.mcc,
    bankCategory: raw.bankCategory,
    category: categorization.assignment,
    categoryReason: categorization.reason,
    sourceCategory: raw.category,
    sourceTags: raw.tags,
    tags,
    transferId: raw.transfer?.transferId,
    transferInternal: raw.transfer?.internal,
    channel: raw.channel,
    budgets: [],
    processedAt: utcIsoOf(now),
    sourceEventId: eventId,
  };
  const budgets: BudgetPeriodRef[] = [];
  for (const budget of user.budgets) {
    if (budgetMatches(budget, doc))
      budgets.push({
        budgetId: budget.budgetId,
        ...budgetPeriodOf(budget.period, raw.occurredAt, timeZone),
      });
  }
  doc.budgets = budgets;
  return doc;
}

/** The raw transaction a document was made from (metadata is not kept in documents). */
export function rawOfDocument(doc: TransactionDocument): RawTransactionV1 {
  const raw: RawTransactionV1 = {
    transactionId: doc.id,
    source: doc.source,
    externalId: doc.externalId,
    userId: doc.userId,
    walletId: doc.walletId,
    kind: doc.kind,
    amount: { amount: doc.amountMinor, currency: doc.currency },
    occurredAt: doc.occurredAt,
    tags: doc.sourceTags ?? doc.tags,
    metadata: {},
    version: doc.rawVersion,
    status: doc.status,
  };
  if (doc.merchantRaw !== undefined) raw.merchant = doc.merchantRaw;
  if (doc.description !== undefined) raw.description = doc.description;
  if (doc.sourceCategory !== undefined) raw.category = doc.sourceCategory;
  if (doc.mcc !== undefined) raw.mcc = doc.mcc;
  if (doc.bankCategory !== undefined) raw.bankCategory = doc.bankCategory;
  // Documents written before annotations existed have no `annotationRevision`: their note is the source's.
  const sourceNote = doc.annotationRevision === undefined ? doc.note : doc.sourceNote;
  if (sourceNote !== undefined) raw.note = sourceNote;
  if (doc.channel !== undefined) raw.channel = doc.channel as RawTransactionV1['channel'];
  if (doc.transferId !== undefined)
    raw.transfer = { transferId: doc.transferId, internal: doc.transferInternal ?? false };
  return raw;
}
