/** HTTP schemas of accounts, tokens and machine clients. */
import { z } from 'zod';
import { authScopes } from '@spendstream/core/auth';
import { currencyCodeSchema, timeZoneSchema } from '@spendstream/core/events';
import { passwordLengthMax, passwordLengthMin } from './passwords.js';

/** Longest email, in characters (RFC 5321 path limit). */
export const emailLengthMax = 254;
/** Longest display name, in characters. */
export const displayNameLengthMax = 100;
/** Longest opaque refresh token or client secret accepted, in characters. */
export const opaqueTokenLengthMax = 200;

const emailSchema = z
  .email()
  .max(emailLengthMax)
  .transform((email) => email.toLowerCase());
const passwordSchema = z.string().min(passwordLengthMin).max(passwordLengthMax);
const opaqueSchema = z.string().min(1).max(opaqueTokenLengthMax);
const scopeSchema = z.enum(Object.values(authScopes) as [string, ...string[]]);

/** Longest BCP 47 locale tag accepted (the settings snapshot's bound). */
export const localeLengthMax = 35;

const displayNameSchema = z.string().trim().min(1).max(displayNameLengthMax);
/** A BCP 47 locale, stored in its canonical form (`fr-fr` -> `fr-FR`). */
const localeSchema = z
  .string()
  .min(2)
  .max(localeLengthMax)
  .transform((tag, ctx) => {
    try {
      const [canonical] = Intl.getCanonicalLocales(tag);
      if (canonical !== undefined && canonical.length <= localeLengthMax) return canonical;
    } catch {
      // Not a well-formed tag: reported below.
    }
    ctx.addIssue({ code: 'custom', message: 'must be a BCP 47 locale such as fr-FR' });
    return z.NEVER;
  });

export const registerBodySchema = z.strictObject({
  email: emailSchema,
  password: passwordSchema,
  displayName: displayNameSchema,
  homeCurrency: currencyCodeSchema,
  timeZone: timeZoneSchema,
  /** Display locale; `en-US` when absent. */
  locale: localeSchema.optional(),
});

/** PATCH /v1/me: any of the settings, at least one. */
export const updateSettingsBodySchema = z
  .strictObject({
    displayName: displayNameSchema.optional(),
    homeCurrency: currencyCodeSchema.optional(),
    timeZone: timeZoneSchema.optional(),
    locale: localeSchema.optional(),
  })
  .refine((b) => Object.values(b).some((v) => v !== undefined), {
    message: 'name at least one of displayName, homeCurrency, timeZone, locale',
  });
export type UpdateSettingsBody = z.infer<typeof updateSettingsBodySchema>;
export type RegisterBody = z.infer<typeof registerBodySchema>;

export const loginBodySchema = z.strictObject({
  email: emailSchema,
  // Any length up to the bound: a login never tells which rule a wrong password breaks.
  password: z.string().min(1).max(passwordLengthMax),
});

export const refreshBodySchema = z.strictObject({ refreshToken: opaqueSchema });

export const changePasswordBodySchema = z.strictObject({
  currentPassword: z.string().min(1).max(passwordLengthMax),
  newPassword: passwordSchema,
});

export const deleteAccountBodySchema = z.strictObject({
  password: z.string().min(1).max(passwordLengthMax),
});

export const clientTokenBodySchema = z.strictObject({
  grant_type: z.literal('client_credentials'),
  client_id: z.string().min(1).max(64),
  client_secret: opaqueSchema,
  /** Space-separated subset of the client's scopes; all of them when absent. */
  scope: z.string().max(1000).optional(),
});

export const registerClientBodySchema = z.strictObject({
  name: z.string().trim().min(1).max(100),
  scopes: z.array(scopeSchema).min(1).max(Object.keys(authScopes).length),
});

export const grantBodySchema = z.strictObject({
  scopes: z.array(scopeSchema).min(1).max(Object.keys(authScopes).length).optional(),
});
