/**
 * Events: topic names, versioned zod schemas of every payload, and the codec that validates at both
 * ends. Import as `@spendstream/core/events`. See docs/events.md for the contract in prose.
 */
export * from './events/topics.js';
export * from './events/common.js';
export * from './events/envelope.js';
export * from './events/transactions.js';
export * from './events/reference.js';
export * from './events/alerts.js';
export * from './events/wallet.js';
export * from './events/dead-letter.js';
export * from './events/catalog.js';
export * from './events/codec.js';
export * from './events/examples.js';
