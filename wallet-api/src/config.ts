/**
 * wallet-api configuration: the shared service settings plus its port, the token issuer and
 * audience, and the admin emails. Every key is documented in docs/configuration.md.
 */
import { z } from 'zod';
import {
  defaultPorts,
  defineConfig,
  portSetting,
  serviceConfigShape,
} from '@spendstream/core/config';
import { keyEncryptionSecretLengthMin } from './features/auth/key-encryption.js';

const unsetIfEmpty = (value: unknown) =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

/** The keys wallet-api reads; the all-in-one entry merges this shape with the other services'. */
export const walletConfigShape = {
  ...serviceConfigShape,
  /** Port of the wallet API. */
  WALLET_API_PORT: portSetting(defaultPorts['wallet-api']),
  /** `iss` of issued tokens: wallet-api's public URL, which every verifier expects. */
  AUTH_ISSUER: z.preprocess(
    unsetIfEmpty,
    z
      .url({ error: 'expected a URL such as http://localhost:3001' })
      .optional()
      .default('http://localhost:3001'),
  ),
  /** `aud` of issued tokens, checked by every service. */
  AUTH_AUDIENCE: z.preprocess(
    unsetIfEmpty,
    z.string().min(1).max(200).optional().default('spendstream'),
  ),
  /** Comma-separated emails that become admins when they register (admins register machine clients). */
  WALLET_ADMIN_EMAILS: z.preprocess(
    unsetIfEmpty,
    z
      .string()
      .optional()
      .transform((v) =>
        (v ?? '')
          .split(',')
          .map((e) => e.trim().toLowerCase())
          .filter(Boolean),
      )
      .pipe(z.array(z.email({ error: 'expected comma-separated email addresses' })).max(100)),
  ),
  /**
   * The secret wallet-api encrypts its private signing keys with at rest (scrypt, AES-256-GCM).
   * Required in production; every instance on one database needs the same one.
   */
  AUTH_KEY_ENCRYPTION_SECRET: z.preprocess(
    unsetIfEmpty,
    z
      .string()
      .min(keyEncryptionSecretLengthMin, {
        error: `expected at least ${keyEncryptionSecretLengthMin} characters (e.g. openssl rand -base64 32)`,
      })
      .max(1000)
      .optional(),
  ),
  /** `production` makes AUTH_KEY_ENCRYPTION_SECRET required. */
  NODE_ENV: z.preprocess(unsetIfEmpty, z.string().max(50).optional()),
};

/**
 * In production (`NODE_ENV=production`) the key-encryption secret is required: the development
 * default is public.
 */
export const walletConfigSchema = defineConfig(walletConfigShape).superRefine((config, ctx) => {
  if (config.NODE_ENV === 'production' && config.AUTH_KEY_ENCRYPTION_SECRET === undefined)
    ctx.addIssue({
      code: 'custom',
      path: ['AUTH_KEY_ENCRYPTION_SECRET'],
      message: `required with NODE_ENV=production (at least ${keyEncryptionSecretLengthMin} characters, e.g. openssl rand -base64 32)`,
    });
});
export type WalletConfig = z.infer<typeof walletConfigSchema>;

/** The app settings these keys give (for `createWalletApp`, in main.ts and the all-in-one entry). */
export function walletSettings(
  config: Pick<
    WalletConfig,
    'AUTH_ISSUER' | 'AUTH_AUDIENCE' | 'WALLET_ADMIN_EMAILS' | 'AUTH_KEY_ENCRYPTION_SECRET'
  >,
) {
  return {
    issuer: config.AUTH_ISSUER,
    audience: config.AUTH_AUDIENCE,
    adminEmails: config.WALLET_ADMIN_EMAILS,
    ...(config.AUTH_KEY_ENCRYPTION_SECRET === undefined
      ? {}
      : { keyEncryptionSecret: config.AUTH_KEY_ENCRYPTION_SECRET }),
  };
}
