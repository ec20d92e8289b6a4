/**
 * Alert payloads (topic `alerts`). An alert fires once per (rule, subject, period, threshold): the
 * producer derives `alertId` from those four (see `alertIdentity`), so a replay produces the same id
 * and a subscriber can deduplicate on it.
 */
import { z } from 'zod';
import {
  decimalStringSchema,
  idSchema,
  isoDateSchema,
  isoDateTimeSchema,
  labelLengthMax,
  moneySchema,
  textLengthMax,
  timeZoneSchema,
} from './common.js';

export const alertRules = [
  'budget_threshold',
  'large_transaction',
  'unusual_spending',
  'low_balance',
] as const;
export type AlertRule = (typeof alertRules)[number];
export const alertRuleSchema = z.enum(alertRules);

/** What the alert is about. */
export const alertSubjectSchema = z.object({
  kind: z.enum(['budget', 'wallet', 'transaction', 'user', 'category']),
  id: idSchema,
  /** Display name at the time (budget or wallet name). */
  name: z.string().min(1).max(labelLengthMax).optional(),
});

/**
 * The calendar window the alert belongs to, in the user's time zone: `start` inclusive, `end`
 * exclusive, both local dates. For a large transaction it is the transaction's local day.
 */
export const alertPeriodSchema = z.object({
  kind: z.enum(['day', 'week', 'month', 'every_n_days']),
  start: isoDateSchema,
  end: isoDateSchema,
  timeZone: timeZoneSchema,
});

/** The threshold crossed: a percent of a budget, an amount, or a factor of usual spending. */
export const alertThresholdSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('percent'), percent: z.int().min(1).max(1000) }),
  z.object({ kind: z.literal('amount'), amount: moneySchema }),
  z.object({ kind: z.literal('factor'), factor: decimalStringSchema }),
]);
export type AlertThreshold = z.infer<typeof alertThresholdSchema>;

/** alerts, type `alert.raised`, version 1. */
export const alertRaisedV1Schema = z.object({
  /** Derived from (rule, subject, period, threshold): the same alert always has the same id. */
  alertId: idSchema,
  userId: idSchema,
  rule: alertRuleSchema,
  subject: alertSubjectSchema,
  period: alertPeriodSchema,
  threshold: alertThresholdSchema,
  severity: z.enum(['info', 'warning', 'critical']),
  /** True when the crossing came from a transaction that arrived after its period had ended. */
  late: z.boolean(),
  amounts: z.object({
    /** What was measured: spend in the period, the transaction amount, or the wallet balance. */
    observed: moneySchema,
    /** The budget limit or the threshold amount it is compared with. */
    limit: moneySchema.optional(),
    /** The usual spend, for `unusual_spending`. */
    baseline: moneySchema.optional(),
  }),
  /** The transaction whose arrival crossed the threshold. */
  transactionId: idSchema.optional(),
  /** A human sentence, in the user's locale where known. */
  message: z.string().min(1).max(textLengthMax),
  firedAt: isoDateTimeSchema,
});
export type AlertRaisedV1 = z.infer<typeof alertRaisedV1Schema>;

/**
 * The identity string an alert id is derived from. Producers hash it (or use it directly, it is a
 * valid id when short enough) so each (rule, subject, period, threshold) fires once.
 */
export function alertIdentity(
  alert: Pick<AlertRaisedV1, 'rule' | 'subject' | 'period' | 'threshold'>,
): string {
  const threshold =
    alert.threshold.kind === 'percent'
      ? `p${alert.threshold.percent}`
      : alert.threshold.kind === 'amount'
        ? `a${alert.threshold.amount.amount}${alert.threshold.amount.currency}`
        : `f${alert.threshold.factor}`;
  return `${alert.rule}:${alert.subject.kind}:${alert.subject.id}:${alert.period.start}:${threshold}`;
}
