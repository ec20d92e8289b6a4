/** The key-encryption secret: optional in development, required in production, never too short. */
import test from 'ava';
import { ConfigError, parseConfig } from '@spendstream/core/config';
import { walletConfigSchema } from './config.js';

const secret = 'x'.repeat(32);

test('production requires AUTH_KEY_ENCRYPTION_SECRET, naming it', (t) => {
  const error = t.throws(() => parseConfig(walletConfigSchema, { NODE_ENV: 'production' }), {
    instanceOf: ConfigError,
  });
  t.regex(error.message, /AUTH_KEY_ENCRYPTION_SECRET: required with NODE_ENV=production/);
  t.is(
    parseConfig(walletConfigSchema, { NODE_ENV: 'production', AUTH_KEY_ENCRYPTION_SECRET: secret })
      .AUTH_KEY_ENCRYPTION_SECRET,
    secret,
  );
});

test('outside production the secret may be absent, but a short one is refused', (t) => {
  t.is(parseConfig(walletConfigSchema, {}).AUTH_KEY_ENCRYPTION_SECRET, undefined);
  const error = t.throws(
    () => parseConfig(walletConfigSchema, { AUTH_KEY_ENCRYPTION_SECRET: 'short' }),
    { instanceOf: ConfigError },
  );
  t.regex(error.message, /AUTH_KEY_ENCRYPTION_SECRET: expected at least 32 characters/);
});
