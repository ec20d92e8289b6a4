/**
 * Request bodies, read by our own small parser: a named byte limit (413), JSON media types only
 * unless a route family asked for raw bodies (415), malformed JSON rejected (400).
 */
import type Koa from 'koa';
import { DomainError, PayloadTooLargeError } from '../errors.js';
import { parseJson, stringifyJson } from '../json.js';

/** Default largest JSON body, in bytes: room for a batch of a few hundred transactions. */
export const bodyBytesMaxDefault = 1_048_576;

export interface BodyOptions {
  /** Largest JSON body in bytes; larger gets 413. */
  bodyBytesMax: number;
  /**
   * Media types (besides JSON) that are accepted and left unread for the route to read with
   * `readRawBody` under its own limit: `text/csv` for file imports, say.
   */
  rawMediaTypes?: readonly string[];
}

const methodsWithBody = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** `application/json` or any `+json` type (`application/merge-patch+json`). */
export function isJsonMediaType(mediaType: string): boolean {
  return mediaType === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(mediaType);
}

// Headers are read from Node's parsed headers: Koa's `ctx.get` lower-cases the name on every call.
function hasBody(ctx: Koa.Context): boolean {
  const headers = ctx.req.headers;
  const length = headers['content-length'];
  if (length !== undefined && length !== '') return Number(length) > 0;
  return (headers['transfer-encoding'] ?? '') !== '';
}

/** The media type without parameters, lower case (`application/json; charset=utf-8` -> `application/json`). */
export function mediaTypeOf(ctx: Koa.Context): string {
  const type = ctx.req.headers['content-type'] ?? '';
  // The usual form, bare and lower case, is its own media type.
  if (type === 'application/json') return type;
  return (type.split(';')[0] ?? '').trim().toLowerCase();
}

/**
 * Read the whole request body, failing with 413 as soon as it passes `bytesMax` (by the declared
 * Content-Length before reading anything, else while reading).
 */
export async function readRawBody(ctx: Koa.Context, bytesMax: number): Promise<Buffer> {
  const declared = Number(ctx.req.headers['content-length'] || NaN);
  if (declared > bytesMax) {
    // We answer before reading; the client may still be sending, so the connection goes.
    ctx.set('Connection', 'close');
    throw tooLarge(bytesMax);
  }
  const req = ctx.req;
  // Nothing more will come: a stream already read to its end, or one already destroyed.
  if (req.readableEnded) return Buffer.alloc(0);
  if (req.destroyed) throw prematureClose();
  // Listeners, not `for await`: a stream's async iterator (its end-of-stream watcher, its
  // promises) cost about 18 us a request, as much as parsing a single transaction's JSON.
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let ended = false;
    req.on('data', (chunk: Buffer) => {
      if (ended) return;
      received += chunk.length;
      if (received > bytesMax) {
        ended = true;
        // The rest of the body is read and dropped (this listener keeps the stream flowing) until
        // the connection closes after the answer, as it was when a `for await` left early.
        ctx.set('Connection', 'close');
        reject(tooLarge(bytesMax));
        return;
      }
      chunks.push(chunk);
    });
    req.once('end', () => {
      if (ended) return;
      ended = true;
      resolve(Buffer.concat(chunks, received));
    });
    req.once('error', (error: Error) => {
      if (ended) return;
      ended = true;
      reject(error);
    });
    req.once('close', () => {
      if (ended) return;
      ended = true;
      reject(prematureClose());
    });
  });
}

function tooLarge(bytesMax: number): PayloadTooLargeError {
  return new PayloadTooLargeError(`the request body is larger than ${bytesMax} bytes`, {
    field: 'body',
  });
}

/** The error of a body whose stream closed before its end (as `for await` over it rejects). */
function prematureClose(): Error {
  return Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
}

/** Parse JSON bodies into `ctx.request.body`; reject other media types unless raw is allowed. */
export function jsonBody(options: BodyOptions): Koa.Middleware {
  const raw = new Set((options.rawMediaTypes ?? []).map((t) => t.toLowerCase()));
  return async (ctx, next) => {
    if (!methodsWithBody.has(ctx.method) || !hasBody(ctx)) return next();
    const mediaType = mediaTypeOf(ctx);
    if (raw.has(mediaType)) return next();
    if (!isJsonMediaType(mediaType)) {
      throw new DomainError(
        'unsupported_media_type',
        `expected a body of type application/json, got ${mediaType || 'no Content-Type'}`,
        { field: 'Content-Type' },
      );
    }
    const bytes = await readRawBody(ctx, options.bodyBytesMax);
    // parseJson also refuses invalid UTF-8 and keys that could reach a prototype (`__proto__`).
    try {
      ctx.request.body = parseJson(bytes, options.bodyBytesMax);
    } catch (error) {
      if (error instanceof DomainError && error.field === undefined) {
        throw new DomainError(error.code, error.message, { field: 'body', cause: error });
      }
      throw error;
    }
    return next();
  };
}

/**
 * Serialize object bodies ourselves so a handler may return bigints (money in minor units): they
 * go out as decimal strings, as everywhere on the wire. Streams, buffers and strings pass as they
 * are. Runs inside the problem middleware, so a body that cannot be serialized is a logged 500.
 */
export function jsonResponses(): Koa.Middleware {
  return async (ctx, next) => {
    await next();
    serializeJsonBody(ctx);
  };
}

/** An object body (not a stream or buffer) to its JSON text, bigints as decimal strings. */
export function serializeJsonBody(ctx: Koa.Context): void {
  const body: unknown = ctx.body;
  if (body === null || typeof body !== 'object' || Buffer.isBuffer(body)) return;
  if (typeof (body as { pipe?: unknown }).pipe === 'function') return;
  // Koa has already set the JSON Content-Type for the object; a string body keeps it.
  ctx.body = stringifyJson(body);
}
