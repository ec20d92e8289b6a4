/** HTTP chassis for every service: see the files under `http/`. */
export * from './http/body.js';
export * from './http/health.js';
export * from './http/metrics.js';
export * from './http/openapi.js';
export * from './http/pagination.js';
export * from './http/problem.js';
export * from './http/request-context.js';
export * from './http/server.js';
export * from './http/service-app.js';
export * from './http/validate.js';
