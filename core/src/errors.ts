/**
 * Domain errors, apart from HTTP. Every error a service raises on purpose is one of these classes,
 * with a stable code from `errorCodes`; one middleware (see `http/problem.ts`) renders them as
 * `application/problem+json`. Anything else is an unknown error and becomes a 500.
 */

/** The stable error codes, part of the public API: clients switch on them. */
export const errorCodes = [
  'validation_failed',
  'malformed_json',
  'unsupported_media_type',
  'payload_too_large',
  'unauthorized',
  'forbidden',
  'not_found',
  'method_not_allowed',
  'conflict',
  'idempotency_conflict',
  'precondition_failed',
  'insufficient_funds',
  'rate_limited',
  'unavailable',
  'internal',
] as const;

export type ErrorCode = (typeof errorCodes)[number];

/** HTTP status for each code: the one place where domain meets HTTP. */
export const errorStatus: Record<ErrorCode, number> = {
  validation_failed: 400,
  malformed_json: 400,
  unsupported_media_type: 415,
  payload_too_large: 413,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  idempotency_conflict: 409,
  precondition_failed: 412,
  insufficient_funds: 422,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
};

/** One failing field: a JSON path (`amount`, `items.3.currency`) and what is wrong with it. */
export interface FieldProblem {
  path: string;
  message: string;
}

export interface DomainErrorOptions {
  /** The failing field, when one is to blame. */
  field?: string;
  /** Every failing field, for validation errors. */
  fields?: FieldProblem[];
  /** Seconds after which a retry may succeed (429, 503). */
  retryAfterSeconds?: number;
  cause?: unknown;
}

/** Base class: a message for people, a code for programs. */
export class DomainError extends Error {
  readonly code: ErrorCode;
  readonly field: string | undefined;
  readonly fields: FieldProblem[];
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, message: string, options: DomainErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.field = options.field ?? options.fields?.[0]?.path;
    this.fields = options.fields ?? (options.field ? [{ path: options.field, message }] : []);
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  get status(): number {
    return errorStatus[this.code];
  }
}

export class ValidationError extends DomainError {
  constructor(message: string, options: DomainErrorOptions = {}) {
    super('validation_failed', message, options);
  }
}

export class UnauthorizedError extends DomainError {
  constructor(message = 'authentication required', options: DomainErrorOptions = {}) {
    super('unauthorized', message, options);
  }
}

export class ForbiddenError extends DomainError {
  constructor(message = 'not allowed', options: DomainErrorOptions = {}) {
    super('forbidden', message, options);
  }
}

export class NotFoundError extends DomainError {
  constructor(message = 'not found', options: DomainErrorOptions = {}) {
    super('not_found', message, options);
  }
}

export class MethodNotAllowedError extends DomainError {
  constructor(message = 'method not allowed', options: DomainErrorOptions = {}) {
    super('method_not_allowed', message, options);
  }
}

export class ConflictError extends DomainError {
  constructor(message: string, options: DomainErrorOptions = {}) {
    super('conflict', message, options);
  }
}

export class IdempotencyConflictError extends DomainError {
  constructor(
    message = 'this Idempotency-Key was used with a different request',
    options: DomainErrorOptions = {},
  ) {
    super('idempotency_conflict', message, { field: 'Idempotency-Key', ...options });
  }
}

/** An `If-Match` that names another version than the current one (optimistic concurrency). */
export class PreconditionFailedError extends DomainError {
  constructor(message: string, options: DomainErrorOptions = {}) {
    super('precondition_failed', message, { field: 'If-Match', ...options });
  }
}

export class InsufficientFundsError extends DomainError {
  constructor(
    message = 'the wallet balance does not cover this amount',
    options: DomainErrorOptions = {},
  ) {
    super('insufficient_funds', message, { field: 'amount', ...options });
  }
}

export class PayloadTooLargeError extends DomainError {
  constructor(message: string, options: DomainErrorOptions = {}) {
    super('payload_too_large', message, options);
  }
}

export class RateLimitedError extends DomainError {
  constructor(message: string, retryAfterSeconds: number, options: DomainErrorOptions = {}) {
    super('rate_limited', message, { retryAfterSeconds, ...options });
  }
}

export class UnavailableError extends DomainError {
  constructor(message: string, retryAfterSeconds = 1, options: DomainErrorOptions = {}) {
    super('unavailable', message, { retryAfterSeconds, ...options });
  }
}

/** A broken invariant: a bug, never a user error. Crash loudly with what was expected. */
export class InvariantError extends Error {
  constructor(message: string) {
    super(`invariant broken: ${message}`);
    this.name = 'InvariantError';
  }
}

/** Assert an invariant; throws InvariantError naming it when it does not hold. */
export function invariant(condition: unknown, message: string): asserts condition {
  if (!condition) throw new InvariantError(message);
}
