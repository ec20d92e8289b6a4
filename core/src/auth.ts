/**
 * Authentication: access-token verification against a JWKS, the Koa middleware that requires it,
 * and the issuer-side signing helpers. Import as `@spendstream/core/auth`.
 */
export * from './auth/claims.js';
export * from './auth/verifier.js';
export * from './auth/middleware.js';
export * from './auth/issuer.js';
