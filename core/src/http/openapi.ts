/**
 * OpenAPI 3.1 documents: every API serves its own at `/openapi.json`. `baseOpenApiDocument` gives
 * what all of them share (the problem schema, error responses, health and metrics endpoints); a
 * service adds its paths and schemas with `extendOpenApiDocument`.
 */
import { errorCodes } from '../errors.js';
import { problemContentType, problemTypePrefix } from './problem.js';

/** A loose OpenAPI document type: enough structure to merge, not a full model of the spec. */
export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string; description?: string };
  paths: Record<string, Record<string, unknown>>;
  components: {
    schemas: Record<string, unknown>;
    responses: Record<string, unknown>;
    [section: string]: Record<string, unknown>;
  };
  [key: string]: unknown;
}

const problemRef = { $ref: '#/components/schemas/Problem' };
const problemContent = { [problemContentType]: { schema: problemRef } };

/** `$ref` to one of the shared error responses (`Problem400`, `Problem404`, ...). */
export function problemResponseRef(
  status: 400 | 401 | 403 | 404 | 409 | 412 | 413 | 415 | 422 | 429 | 500 | 503,
) {
  return { $ref: `#/components/responses/Problem${status}` };
}

const sharedProblemStatuses = [400, 401, 403, 404, 409, 412, 413, 415, 422, 429, 500, 503] as const;

/** The base document with the shared problem schema and the operational endpoints. */
export function baseOpenApiDocument(info: {
  title: string;
  version: string;
  description?: string;
}): OpenApiDocument {
  const responses: Record<string, unknown> = {};
  for (const status of sharedProblemStatuses) {
    responses[`Problem${status}`] = { description: `Error ${status}`, content: problemContent };
  }
  return {
    openapi: '3.1.0',
    info,
    paths: {
      '/healthz': {
        get: {
          summary: 'Liveness: the process serves HTTP',
          tags: ['operations'],
          responses: {
            '200': {
              description: 'alive',
              content: {
                'application/json': {
                  schema: { type: 'object', properties: { status: { const: 'ok' } } },
                },
              },
            },
          },
        },
      },
      '/readyz': {
        get: {
          summary: 'Readiness: every dependency answers and the server is not shutting down',
          tags: ['operations'],
          responses: {
            '200': {
              description: 'ready',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    properties: { status: { const: 'ready' }, checks: { type: 'object' } },
                  },
                },
              },
            },
            '503': {
              description: 'not ready; `checks` names what failed',
              content: problemContent,
            },
          },
        },
      },
      '/metrics': {
        get: {
          summary: 'Prometheus metrics',
          tags: ['operations'],
          responses: {
            '200': {
              description: 'Prometheus text format',
              content: { 'text/plain': { schema: { type: 'string' } } },
            },
          },
        },
      },
      '/openapi.json': {
        get: {
          summary: 'This document',
          tags: ['operations'],
          responses: {
            '200': {
              description: 'OpenAPI 3.1',
              content: { 'application/json': { schema: { type: 'object' } } },
            },
          },
        },
      },
    },
    components: {
      schemas: {
        Problem: {
          type: 'object',
          description: 'An error, as RFC 9457 problem details with a stable code',
          required: ['type', 'title', 'status', 'detail', 'code', 'errors', 'requestId'],
          properties: {
            type: { type: 'string', description: `${problemTypePrefix}<code>` },
            title: { type: 'string' },
            status: { type: 'integer' },
            detail: { type: 'string' },
            code: { type: 'string', enum: [...errorCodes] },
            field: { type: 'string', description: 'the failing field, when one is to blame' },
            errors: {
              type: 'array',
              items: {
                type: 'object',
                required: ['path', 'message'],
                properties: { path: { type: 'string' }, message: { type: 'string' } },
              },
            },
            requestId: { type: 'string' },
          },
        },
      },
      responses,
    },
  };
}

/** Add paths and components to a document (later entries win on the same key). */
export function extendOpenApiDocument(
  base: OpenApiDocument,
  extra: { paths?: OpenApiDocument['paths']; schemas?: Record<string, unknown>; tags?: unknown[] },
): OpenApiDocument {
  return {
    ...base,
    ...(extra.tags ? { tags: extra.tags } : {}),
    paths: { ...base.paths, ...extra.paths },
    components: {
      ...base.components,
      schemas: { ...base.components.schemas, ...extra.schemas },
    },
  };
}
