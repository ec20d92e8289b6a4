/**
 * The ingest API's OpenAPI 3.1 document, served at /openapi.json. Request schemas come from the same
 * zod schemas the handlers parse with, so the document cannot drift from what is enforced.
 */
import { z } from 'zod';
import {
  baseOpenApiDocument,
  extendOpenApiDocument,
  problemResponseRef,
  type OpenApiDocument,
} from '@spendstream/core/http';
import { csvMappingSchema } from './features/import/csv-mapping.js';
import { batchItemsMax } from './features/transactions/ingest-service.js';
import { transactionInputSchema } from './features/transactions/schema.js';

const itemResult = {
  type: 'object',
  required: ['index', 'status'],
  properties: {
    index: { type: 'integer' },
    status: { enum: ['accepted', 'duplicate', 'rejected'] },
    externalId: { type: 'string' },
    transactionId: { type: 'string' },
    version: { type: 'integer', minimum: 1 },
    outcome: { enum: ['created', 'corrected', 'reversed'] },
    error: {
      type: 'object',
      properties: {
        type: { type: 'string' },
        code: { type: 'string' },
        detail: { type: 'string' },
        fields: {
          type: 'array',
          items: {
            type: 'object',
            properties: { path: { type: 'string' }, message: { type: 'string' } },
          },
        },
      },
    },
  },
};

const importResult = {
  type: 'object',
  properties: {
    importId: { type: 'string' },
    walletId: { type: 'string' },
    format: { enum: ['csv', 'ofx'] },
    state: { enum: ['reading', 'publishing', 'done', 'failed'] },
    bytesRead: { type: 'integer' },
    rowsRead: { type: 'integer' },
    rowsPublished: { type: 'integer' },
    accepted: { type: 'integer' },
    duplicate: { type: 'integer' },
    rejected: { type: 'integer' },
    complete: { type: 'boolean' },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          line: { type: 'integer' },
          code: { type: 'string' },
          message: { type: 'string' },
          field: { type: 'string' },
        },
      },
    },
  },
};

const auth = [{ bearer: [] }];
const idempotencyKey = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description: 'Same key and body within 24 h returns the first answer; same key, other body: 409.',
  schema: { type: 'string', maxLength: 200 },
};
const errors = {
  '400': problemResponseRef(400),
  '401': problemResponseRef(401),
  '403': problemResponseRef(403),
  '409': problemResponseRef(409),
  '413': problemResponseRef(413),
  '429': problemResponseRef(429),
  '503': problemResponseRef(503),
};

export function ingestOpenApiDocument(version: string): OpenApiDocument {
  const base = baseOpenApiDocument({
    title: 'Spendstream ingest API',
    version,
    description:
      'Transaction ingestion from banks and apps: single, batch and file import. Deduplicated on (source, externalId); 202 only once the event log holds the transaction.',
  });
  const document = extendOpenApiDocument(base, {
    tags: [{ name: 'ingest', description: 'Push transactions in' }],
    schemas: {
      TransactionInput: z.toJSONSchema(transactionInputSchema, {
        io: 'input',
        unrepresentable: 'any',
      }),
      CsvMapping: z.toJSONSchema(csvMappingSchema, { io: 'input', unrepresentable: 'any' }),
      ItemResult: itemResult,
      ImportResult: importResult,
    },
    paths: {
      '/v1/transactions': {
        post: {
          summary: 'Ingest one transaction',
          tags: ['ingest'],
          security: auth,
          parameters: [idempotencyKey],
          requestBody: {
            required: true,
            content: {
              'application/json': { schema: { $ref: '#/components/schemas/TransactionInput' } },
            },
          },
          responses: {
            '202': {
              description: 'Accepted: durable in the event log',
              content: {
                'application/json': { schema: { $ref: '#/components/schemas/ItemResult' } },
              },
            },
            '200': {
              description: 'A duplicate of a transaction already stored',
              content: {
                'application/json': { schema: { $ref: '#/components/schemas/ItemResult' } },
              },
            },
            ...errors,
            '404': problemResponseRef(404),
          },
        },
      },
      '/v1/transactions:batch': {
        post: {
          summary: `Ingest up to ${batchItemsMax} transactions, each judged on its own`,
          tags: ['ingest'],
          security: auth,
          parameters: [idempotencyKey],
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['items'],
                  properties: {
                    items: {
                      type: 'array',
                      minItems: 1,
                      maxItems: batchItemsMax,
                      items: { $ref: '#/components/schemas/TransactionInput' },
                    },
                  },
                },
              },
            },
          },
          responses: {
            '202': {
              description: 'Processed; per item accepted, duplicate or rejected',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    properties: {
                      summary: {
                        type: 'object',
                        properties: {
                          accepted: { type: 'integer' },
                          duplicate: { type: 'integer' },
                          rejected: { type: 'integer' },
                        },
                      },
                      items: { type: 'array', items: { $ref: '#/components/schemas/ItemResult' } },
                    },
                  },
                },
              },
            },
            '200': { description: 'Processed; every item was rejected' },
            ...errors,
          },
        },
      },
      '/v1/wallets/{walletId}/imports': {
        post: {
          summary: 'Import a CSV or OFX/QFX statement file into a wallet (streamed)',
          tags: ['ingest'],
          security: auth,
          parameters: [
            { name: 'walletId', in: 'path', required: true, schema: { type: 'string' } },
            {
              name: 'format',
              in: 'query',
              required: true,
              schema: { enum: ['csv', 'ofx', 'qfx'] },
            },
            {
              name: 'mapping',
              in: 'query',
              required: false,
              description: 'CSV only: a CsvMapping as JSON',
              content: {
                'application/json': { schema: { $ref: '#/components/schemas/CsvMapping' } },
              },
            },
            {
              name: 'partial',
              in: 'query',
              required: false,
              description: 'Import the valid lines even if some are bad',
              schema: { enum: ['true', 'false'] },
            },
            {
              name: 'timeZone',
              in: 'query',
              required: false,
              description: 'OFX: zone of dates without offset',
              schema: { type: 'string' },
            },
            { name: 'userId', in: 'query', required: false, schema: { type: 'string' } },
            idempotencyKey,
          ],
          requestBody: {
            required: true,
            content: {
              'text/csv': { schema: { type: 'string' } },
              'application/x-ofx': { schema: { type: 'string' } },
              'application/vnd.intu.qfx': { schema: { type: 'string' } },
              'application/octet-stream': { schema: { type: 'string', format: 'binary' } },
            },
          },
          responses: {
            '202': {
              description: 'Imported',
              content: {
                'application/json': { schema: { $ref: '#/components/schemas/ImportResult' } },
              },
            },
            ...errors,
          },
        },
      },
      '/v1/imports/{importId}': {
        get: {
          summary: 'Progress of an import (its id is the Idempotency-Key it was sent with)',
          tags: ['ingest'],
          security: auth,
          parameters: [
            { name: 'importId', in: 'path', required: true, schema: { type: 'string' } },
          ],
          responses: {
            '200': {
              description: 'Progress',
              content: {
                'application/json': { schema: { $ref: '#/components/schemas/ImportResult' } },
              },
            },
            '401': problemResponseRef(401),
            '404': problemResponseRef(404),
          },
        },
      },
    },
  });
  document.components.securitySchemes = {
    bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
  };
  return document;
}
