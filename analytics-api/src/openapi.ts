/**
 * The OpenAPI document of analytics-api, served at /openapi.json. Query parameters and bodies are
 * generated from the same zod schemas the handlers validate with, so the document cannot drift
 * from what is accepted.
 */
import { z } from 'zod';
import { budgetsPerUserMax } from '@spendstream/core/events';
import {
  baseOpenApiDocument,
  extendOpenApiDocument,
  problemResponseRef,
  type OpenApiDocument,
} from '@spendstream/core/http';
import {
  breakdownJsonSchema,
  breakdownQuery,
  topMerchantsJsonSchema,
  topMerchantsQuery,
} from './features/breakdowns/routes.js';
import { timeSeriesQuery } from './features/time-series/routes.js';
import { comparisonQuery } from './features/comparisons/routes.js';
import { cashFlowQuery } from './features/cash-flow/routes.js';
import { categoriesQuery } from './features/categories/routes.js';
import { annotateBody, recategorizeBody } from './features/search/routes.js';
import { userIdQuery } from './http/query-schemas.js';
import { searchPageJsonSchema, transactionJsonSchema } from './http/present.js';
import { transactionStreamQuery } from './features/live/routes.js';
import { searchQuerySchema } from './features/search/search-params.js';
import { exportQuery } from './features/export/routes.js';
import { changesSchema, draftSchema } from './features/budgets/routes.js';
import { historyQuery, streamQuery } from './features/alerts/routes.js';
import {
  categoryRulesUserQuery,
  customCategoryChangesSchema,
  customCategoryDraftSchema,
  ruleChangesSchema,
  ruleDraftSchema,
} from './features/category-rules/routes.js';

type ObjectSchema = z.ZodObject | z.ZodType;

function jsonSchema(schema: ObjectSchema): Record<string, unknown> {
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}

function queryParameters(schema: ObjectSchema) {
  const json = jsonSchema(schema) as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: 'query',
    required: json.required?.includes(name) ?? false,
    schema: property,
  }));
}

const idParameter = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
const errors = {
  '400': problemResponseRef(400),
  '401': problemResponseRef(401),
  '403': problemResponseRef(403),
  '503': problemResponseRef(503),
};
/** The answers of a read by id: the object, or 404 for an id that is not the caller's. */
const found = (summary: string) => ({
  '200': json(summary),
  ...errors,
  '404': problemResponseRef(404),
});
const json = (description: string) => ({
  description,
  content: { 'application/json': { schema: { type: 'object' } } },
});
/** A JSON answer whose shape the presenter's schema gives. */
export function jsonAnswer(description: string, schema: z.ZodType) {
  return {
    description,
    content: {
      'application/json': {
        schema: z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' }),
      },
    },
  };
}

function get(
  summary: string,
  tag: string,
  query: ObjectSchema,
  extra: Record<string, unknown> = {},
) {
  return {
    summary,
    tags: [tag],
    security: [{ bearer: [] }],
    parameters: queryParameters(query),
    responses: { '200': json(summary), ...errors },
    ...extra,
  };
}

function withBody(
  summary: string,
  tag: string,
  body: ObjectSchema,
  status: string,
  extra: Record<string, unknown> = {},
) {
  return {
    summary,
    tags: [tag],
    security: [{ bearer: [] }],
    requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(body) } } },
    responses: { [status]: json(summary), ...errors, '404': problemResponseRef(404) },
    ...extra,
  };
}

const ifMatchParameter = {
  name: 'If-Match',
  in: 'header',
  required: false,
  description:
    'The ETag of the user\u2019s rules and categories as last read (`"<revision>"`, a list, or `*`); ' +
    'the change is refused with 412 unless their revision is still one it names. Without it the ' +
    'change is unconditional',
  schema: { type: 'string' },
};
const etagHeader = {
  ETag: {
    description: 'The revision of the user\u2019s whole set of rules and custom categories',
    schema: { type: 'string' },
  },
};

/** A read or change of a user's rules or custom categories: ETag on success, If-Match on changes. */
function revisioned(
  operation: { responses: Record<string, unknown>; parameters?: unknown[] },
  options: { change: boolean; pathId: boolean },
) {
  const [status, success] = Object.entries(operation.responses)[0]!;
  const parameters = [
    ...(options.pathId ? [idParameter] : []),
    ...queryParameters(categoryRulesUserQuery),
    ...(options.change ? [ifMatchParameter] : []),
  ];
  return {
    ...operation,
    parameters,
    responses: {
      ...operation.responses,
      [status]: { ...(success as object), headers: etagHeader },
      ...(options.pathId ? { '404': problemResponseRef(404) } : {}),
      ...(options.change ? { '409': problemResponseRef(409), '412': problemResponseRef(412) } : {}),
    },
  };
}

function deletion(summary: string, tag: string) {
  return {
    summary,
    tags: [tag],
    security: [{ bearer: [] }],
    responses: { '204': { description: 'deleted' }, ...errors },
  };
}

export function analyticsOpenApi(version: string): OpenApiDocument {
  const base = baseOpenApiDocument({
    title: 'Spendstream analytics API',
    version,
    description:
      'Spend by category, merchant, wallet and tag, cash flow, budgets, search, exports and alerts. ' +
      'Amounts are `{ amount, currency }` with the amount in minor units as a decimal string; ' +
      'periods are local calendar dates in the user\u2019s time zone, `to` exclusive in answers. ' +
      'Category ids are the leaf ids of the category tree, unique across it (`food`, and its ' +
      'subcategories `groceries`, `coffee`, ...); a top-level id in a filter includes its ' +
      'subcategories. Changed (breaking): subcategory ids were `<parent>.<child>` (`food.groceries`) ' +
      'and are now the leaf id alone (`groceries`), which core\u2019s event schemas accept. ' +
      'Every answer covers the caller\u2019s own transactions and those of wallets other users ' +
      'shared with them (ref.wallets), summed when the owner has the same home currency.',
  });
  const doc = extendOpenApiDocument(base, {
    tags: [
      { name: 'analytics' },
      { name: 'transactions' },
      { name: 'budgets' },
      { name: 'categories' },
      { name: 'alerts' },
    ],
    paths: {
      '/v1/analytics/breakdown': {
        get: get(
          'Spend or income broken down by category, merchant, wallet or tag',
          'analytics',
          breakdownQuery,
          { responses: { '200': jsonAnswer('The breakdown', breakdownJsonSchema), ...errors } },
        ),
      },
      '/v1/analytics/top-merchants': {
        get: get('The merchants with the most spend', 'analytics', topMerchantsQuery, {
          responses: { '200': jsonAnswer('The top merchants', topMerchantsJsonSchema), ...errors },
        }),
      },
      '/v1/analytics/time-series': {
        get: get('Spend and income per day, week or month', 'analytics', timeSeriesQuery),
      },
      '/v1/analytics/comparison': {
        get: get(
          'This period against the previous one and last year',
          'analytics',
          comparisonQuery,
        ),
      },
      '/v1/analytics/cash-flow': {
        get: get('Income, spend, net, daily average and projection', 'analytics', cashFlowQuery),
      },
      '/v1/categories': {
        get: get(
          'The category tree: every built-in category (`id`, `name`, `parentId` null for a ' +
            'top-level one, `custom: false`), each top-level one followed by its subcategories, ' +
            'then the user\u2019s custom categories from ref.category-rules (`custom: true`)',
          'analytics',
          categoriesQuery,
        ),
      },
      '/v1/transactions': {
        get: get(
          'Search transactions with filters, sort, cursor pages and facets',
          'transactions',
          searchQuerySchema,
          {
            responses: {
              '200': jsonAnswer('A page of transactions', searchPageJsonSchema),
              ...errors,
            },
          },
        ),
      },
      '/v1/transactions/export': {
        get: get('The filtered search as CSV', 'transactions', exportQuery, {
          responses: {
            '200': { description: 'CSV', content: { 'text/csv': { schema: { type: 'string' } } } },
            ...errors,
          },
        }),
      },
      '/v1/transactions/stream': {
        get: get(
          'The caller\u2019s new and changed transactions as Server-Sent Events (`event: ' +
            'transaction`, data shaped like GET /v1/transactions/{id}), sent when the read model ' +
            'stores a new version; no replay: read GET /v1/transactions on (re)connect',
          'transactions',
          transactionStreamQuery,
          {
            responses: {
              '200': {
                description: 'text/event-stream',
                content: { 'text/event-stream': { schema: { type: 'string' } } },
              },
              ...errors,
              '429': problemResponseRef(429),
            },
          },
        ),
      },
      '/v1/transactions/{id}': {
        get: {
          ...get('One transaction', 'transactions', userIdQuery, {
            responses: {
              ...found('One transaction'),
              '200': jsonAnswer('One transaction', transactionJsonSchema),
            },
          }),
          parameters: [idParameter, ...queryParameters(userIdQuery)],
        },
        patch: {
          ...withBody(
            'Set the tags and/or note of a transaction (each given field replaces the stored ' +
              'value; `tags: []` and `note: null` clear), published to stream-jobs as ' +
              '`transaction.annotated`; the read model follows within seconds. A transaction of a ' +
              'wallet shared with the caller needs the editor role (403 for a viewer)',
            'transactions',
            annotateBody,
            '202',
          ),
          parameters: [idParameter, ...queryParameters(userIdQuery)],
        },
      },
      '/v1/transactions/{id}/recategorize': {
        post: {
          ...withBody(
            'Recategorize a transaction (or its merchant), published to stream-jobs; a transaction ' +
              'of a wallet shared with the caller needs the editor role (403 for a viewer) and ' +
              'only `scope: transaction`',
            'transactions',
            recategorizeBody,
            '202',
          ),
          parameters: [idParameter, ...queryParameters(userIdQuery)],
        },
      },
      '/v1/budgets': {
        get: get('The user\u2019s budgets', 'budgets', userIdQuery),
        post: {
          ...withBody(
            'Create a budget (published on ref.budgets); a scope category that is neither built-in ' +
              'nor one of the user\u2019s custom categories is a 400 (field `scope.categories`); ' +
              '`scope.merchantKeys` are merchant keys (`merchantKey` of a transaction, ' +
              '`merchantKeys` of a merchant breakdown item), not display names; more than ' +
              `${budgetsPerUserMax} budgets per user is a 409`,
            'budgets',
            draftSchema,
            '201',
          ),
          parameters: queryParameters(userIdQuery),
          responses: {
            '201': json('the budget'),
            ...errors,
            '409': problemResponseRef(409),
          },
        },
      },
      '/v1/budgets/status': { get: get('Status of every active budget', 'budgets', userIdQuery) },
      '/v1/budgets/{id}': {
        get: {
          ...get('One budget', 'budgets', userIdQuery, { responses: found('One budget') }),
          parameters: [idParameter, ...queryParameters(userIdQuery)],
        },
        patch: {
          ...withBody(
            'Change a budget (its scope checked as on create)',
            'budgets',
            changesSchema,
            '200',
          ),
          parameters: [idParameter, ...queryParameters(userIdQuery)],
        },
        delete: {
          summary: 'Delete a budget',
          tags: ['budgets'],
          security: [{ bearer: [] }],
          parameters: [idParameter, ...queryParameters(userIdQuery)],
          responses: {
            '204': { description: 'deleted' },
            ...errors,
            '404': problemResponseRef(404),
          },
        },
      },
      '/v1/budgets/{id}/status': {
        get: {
          ...get('Spent, remaining, percent, projected, days left', 'budgets', userIdQuery, {
            responses: found('The budget\u2019s status'),
          }),
          parameters: [idParameter, ...queryParameters(userIdQuery)],
        },
      },
      '/v1/categories/custom': {
        get: revisioned(
          get(
            'The user\u2019s custom categories (`id`, `name`, `parentId` null for a top-level ' +
              'one), oldest first, with the `revision` of their set',
            'categories',
            categoryRulesUserQuery,
          ),
          { change: false, pathId: false },
        ),
        post: revisioned(
          withBody(
            'Create a custom category under a built-in or custom parent (or top-level); without ' +
              '`id` one is generated. An id of a built-in or existing category, or more than ' +
              '500 per user, is 409; an unknown parent, a cycle or a path deeper than 5 ' +
              'categories is 400. Publishes the user\u2019s whole set on ref.category-rules',
            'categories',
            customCategoryDraftSchema,
            '201',
          ),
          { change: true, pathId: false },
        ),
      },
      '/v1/categories/custom/{id}': {
        get: revisioned(get('One custom category', 'categories', categoryRulesUserQuery), {
          change: false,
          pathId: true,
        }),
        patch: revisioned(
          withBody(
            'Rename or move a custom category (`parentId: null`: top-level); no cycles, at most ' +
              '5 categories deep. Publishes the whole set',
            'categories',
            customCategoryChangesSchema,
            '200',
          ),
          { change: true, pathId: true },
        ),
        delete: revisioned(
          deletion(
            'Delete a custom category; 409 while a rule or a budget\u2019s scope names it or it is ' +
              'the parent of another (the detail names them). Publishes the whole set',
            'categories',
          ),
          { change: true, pathId: true },
        ),
      },
      '/v1/category-rules': {
        get: revisioned(
          get(
            'The user\u2019s categorization rules, oldest first, with the `revision` of their ' +
              'set; stream-jobs applies them by ascending `priority` (ties by rule id), before ' +
              'past corrections, the merchant dictionary, MCC, bank category and keywords',
            'categories',
            categoryRulesUserQuery,
          ),
          { change: false, pathId: false },
        ),
        post: revisioned(
          withBody(
            'Create a rule: every given `match` condition must hold; `category` is a built-in ' +
              'or the user\u2019s custom id; more than 1,000 rules per user is 409. Publishes the ' +
              'user\u2019s whole set on ref.category-rules',
            'categories',
            ruleDraftSchema,
            '201',
          ),
          { change: true, pathId: false },
        ),
      },
      '/v1/category-rules/{id}': {
        get: revisioned(get('One rule', 'categories', categoryRulesUserQuery), {
          change: false,
          pathId: true,
        }),
        patch: revisioned(
          withBody(
            'Change a rule: each given field replaces the rule\u2019s (`match` whole). ' +
              'Publishes the whole set',
            'categories',
            ruleChangesSchema,
            '200',
          ),
          { change: true, pathId: true },
        ),
        delete: revisioned(deletion('Delete a rule. Publishes the whole set', 'categories'), {
          change: true,
          pathId: true,
        }),
      },
      '/v1/alerts': { get: get('Alert history, newest first', 'alerts', historyQuery) },
      '/v1/alerts/{id}/read': {
        post: {
          summary: 'Mark an alert read',
          tags: ['alerts'],
          security: [{ bearer: [] }],
          parameters: [idParameter, ...queryParameters(userIdQuery)],
          responses: {
            '204': { description: 'marked' },
            ...errors,
            '404': problemResponseRef(404),
          },
        },
      },
      '/v1/alerts/stream': {
        get: get(
          'Live alerts as Server-Sent Events; send Last-Event-ID to resume',
          'alerts',
          streamQuery,
          {
            responses: {
              '200': {
                description: 'text/event-stream',
                content: { 'text/event-stream': { schema: { type: 'string' } } },
              },
              ...errors,
              '429': problemResponseRef(429),
            },
          },
        ),
      },
    },
  });
  return {
    ...doc,
    components: {
      ...doc.components,
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
    },
  };
}
