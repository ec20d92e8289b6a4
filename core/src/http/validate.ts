/**
 * zod at the HTTP edge: query strings and bodies are parsed with a schema, and a failure is a
 * ValidationError naming every failing field (the first one in `field`).
 */
import type Koa from 'koa';
import type { z } from 'zod';
import { ValidationError, type FieldProblem } from '../errors.js';

/** Most field problems reported for one request: enough to fix a form, bounded for huge batches. */
export const fieldProblemsMax = 50;

/** Field problems from a zod error; paths joined with dots (`items.3.amount`). */
export function fieldProblems(error: z.ZodError, prefix?: string): FieldProblem[] {
  return error.issues.slice(0, fieldProblemsMax).map((issue) => {
    const path = issue.path.map(String).join('.');
    return {
      path: [prefix, path].filter(Boolean).join('.') || (prefix ?? '(root)'),
      message: issue.message,
    };
  });
}

/** Parse `value` with `schema` or throw a ValidationError that names the failing fields. */
export function parseWith<Schema extends z.ZodType>(
  schema: Schema,
  value: unknown,
  what: string,
): z.infer<Schema> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const fields = fieldProblems(result.error);
  const first = fields[0]!;
  throw new ValidationError(`invalid ${what}: ${first.path}: ${first.message}`, { fields });
}

/** Parse the route's path parameters (`ctx.params`): a malformed id is a 400 naming it, not a 500. */
export function parseParams<Schema extends z.ZodType>(
  ctx: Koa.Context,
  schema: Schema,
): z.infer<Schema> {
  return parseWith(schema, ctx.params, 'path');
}

/**
 * Parse the query string. Values arrive as strings (or arrays when repeated), so use
 * `z.coerce.number()` and friends in the schema.
 */
export function parseQuery<Schema extends z.ZodType>(
  ctx: Koa.Context,
  schema: Schema,
): z.infer<Schema> {
  return parseWith(schema, ctx.query, 'query');
}

/** Parse the JSON body that `jsonBody` put on the request. */
export function parseBody<Schema extends z.ZodType>(
  ctx: Koa.Context,
  schema: Schema,
): z.infer<Schema> {
  return parseWith(schema, ctx.request.body, 'body');
}
