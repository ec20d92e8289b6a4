/** HTTP schemas of wallets and their members. */
import { z } from 'zod';
import { amountMinorMax } from '@spendstream/core/money';
import { currencyCodeSchema } from '@spendstream/core/events';
import { idPattern } from '../../ids.js';
import { memberRoles, walletTypes } from './store.js';

/** Longest wallet name, in characters. */
export const walletNameLengthMax = 100;

const nameSchema = z.string().trim().min(1).max(walletNameLengthMax);

/** Zero or more minor units as a string: an overdraft limit. */
export const nonNegativeMinorUnitsSchema = z
  .string()
  .max(amountMinorMax.toString().length)
  .regex(
    /^(0|[1-9][0-9]*)$/,
    'must be a whole number of minor units written as a string, e.g. "5000"',
  )
  .transform((text) => BigInt(text))
  .refine((value) => value <= amountMinorMax, `must be at most ${amountMinorMax} minor units`);

export const createWalletBodySchema = z.strictObject({
  name: nameSchema,
  type: z.enum(walletTypes),
  currency: currencyCodeSchema,
  /** How far below zero the balance may go; 0 (the default) means never negative. */
  overdraftLimit: nonNegativeMinorUnitsSchema.default(0n),
});
export type CreateWalletBody = z.infer<typeof createWalletBodySchema>;

export const updateWalletBodySchema = z
  .strictObject({
    name: nameSchema.optional(),
    archived: z.boolean().optional(),
    overdraftLimit: nonNegativeMinorUnitsSchema.optional(),
  })
  .refine(
    (body) => Object.keys(body).length > 0,
    'give at least one of name, archived, overdraftLimit',
  );
export type UpdateWalletBody = z.infer<typeof updateWalletBodySchema>;

export const memberBodySchema = z
  .strictObject({
    /** The member, by user id or email. */
    userId: z.string().regex(idPattern, 'must be an id').optional(),
    email: z.email().max(254).optional(),
    role: z.enum(memberRoles).exclude(['owner']),
  })
  .refine((body) => (body.userId === undefined) !== (body.email === undefined), {
    message: 'give exactly one of userId and email',
    path: ['userId'],
  });
export type MemberBody = z.infer<typeof memberBodySchema>;
