/**
 * The validation rules of one transaction, shared by the JSON API and file imports: amount against
 * the currency's exponent, ISO 4217, `occurredAt` with an offset and within sane bounds, and the
 * resulting `transactions.raw` payload. Pure: the wallet check and dedupe happen in the service.
 */
import { hash } from 'node:crypto';
import { ValidationError } from '@spendstream/core/errors';
import type { RawTransactionV1, TransactionKind } from '@spendstream/core/events';
import { isoDateTimeSchema } from '@spendstream/core/events';
import { parseMinorUnits, parseMoney, type Money } from '@spendstream/core/money';
import { occurredAtFutureMaxMs, occurredAtPastMaxMs, type TransactionInput } from './schema.js';
import { transactionIdFor } from './transaction-id.js';

export interface RawContext {
  source: string;
  userId: string;
  channel: NonNullable<RawTransactionV1['channel']>;
  nowMs: number;
}

function amountOf(input: TransactionInput): Money {
  if (input.amount !== undefined) return parseMoney(input.amount.trim(), input.currency, 'amount');
  return parseMinorUnits(input.amountMinor as string | number, input.currency, 'amountMinor');
}

/** Build the raw event payload (version 1, not yet deduplicated) from a schema-valid input. */
export function toRawTransaction(input: TransactionInput, context: RawContext): RawTransactionV1 {
  const signed = amountOf(input);
  const amountField = input.amount !== undefined ? 'amount' : 'amountMinor';
  if (signed.amount === 0n)
    throw new ValidationError('amount must not be zero', { field: amountField });
  let kind: TransactionKind;
  if (input.kind !== undefined) {
    if (signed.amount < 0n) {
      throw new ValidationError(
        'amount must be positive when kind is given (kind says the direction)',
        {
          field: amountField,
        },
      );
    }
    kind = input.kind;
  } else {
    kind = signed.amount < 0n ? 'expense' : 'income';
  }
  const magnitude = signed.amount < 0n ? -signed.amount : signed.amount;

  if (!isoDateTimeSchema.safeParse(input.occurredAt).success) {
    throw new ValidationError(
      'occurredAt must be an ISO 8601 date-time with an offset, e.g. 2026-11-25T18:04:05+01:00',
      {
        field: 'occurredAt',
      },
    );
  }
  const occurredMs = Date.parse(input.occurredAt);
  if (!(occurredMs <= context.nowMs + occurredAtFutureMaxMs)) {
    throw new ValidationError('occurredAt is too far in the future (more than 2 days)', {
      field: 'occurredAt',
    });
  }
  if (!(occurredMs >= context.nowMs - occurredAtPastMaxMs)) {
    throw new ValidationError('occurredAt is too far in the past (more than 10 years)', {
      field: 'occurredAt',
    });
  }

  // Optional fields set one by one, not spread from temporary objects (a batch builds 1,000).
  const raw: RawTransactionV1 = {
    transactionId: transactionIdFor(context.source, input.externalId),
    source: context.source,
    externalId: input.externalId,
    userId: context.userId,
    walletId: input.walletId,
    kind,
    amount: { amount: magnitude, currency: signed.currency },
    occurredAt: input.occurredAt,
    tags: input.tags ?? [],
    metadata: input.metadata ?? {},
    channel: context.channel,
    version: 1,
    status: input.status ?? 'booked',
  };
  if (input.merchant !== undefined) raw.merchant = input.merchant;
  if (input.description !== undefined) raw.description = input.description;
  if (input.category !== undefined) raw.category = input.category;
  if (input.mcc !== undefined) raw.mcc = input.mcc;
  if (input.bankCategory !== undefined) raw.bankCategory = input.bankCategory;
  if (input.note !== undefined) raw.note = input.note;
  return raw;
}

/**
 * What makes two deliveries "the same": every field the source controls. Equal hash: a duplicate.
 * Different hash for a known (source, externalId): a correction, published as a new version.
 */
export function contentHash(raw: RawTransactionV1): string {
  const canonical = JSON.stringify([
    raw.userId,
    raw.walletId,
    raw.kind,
    raw.amount.amount.toString(),
    raw.amount.currency,
    Date.parse(raw.occurredAt),
    raw.merchant ?? null,
    raw.description ?? null,
    raw.category ?? null,
    raw.mcc ?? null,
    raw.bankCategory ?? null,
    raw.tags,
    raw.note ?? null,
    Object.entries(raw.metadata).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    raw.status,
  ]);
  return hash('sha256', canonical, 'base64url').slice(0, 32);
}
