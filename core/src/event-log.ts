/** The event-log port and its adapters: `@spendstream/core/event-log`. See docs/event-log.md. */
export * from './event-log/port.js';
export * from './event-log/embedded.js';
export * from './event-log/kafka.js';
export * from './event-log/factory.js';
