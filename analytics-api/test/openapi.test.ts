/**
 * `/openapi.json` against the code: every route the app serves is documented with its method, and
 * nothing else is; each route's own schema accepts exactly the query parameters documented for it
 * (every parameter name the document uses anywhere is sent to every route, and the route must
 * refuse precisely the ones not documented for it), so a machine client's `userId` is documented
 * exactly where it works; the problem statuses a route answers are documented; and a transaction,
 * a search page and the breakdowns are documented by the schemas the answers hold to.
 */
import test from 'ava';
import { authScopes } from '@spendstream/core/auth';
import { z } from 'zod';
import { startTestApp, type TestApp } from './support/test-app.js';
import { generateDocs, testUsers } from './support/factories.js';
import { searchPageJsonSchema, transactionJsonSchema } from '../src/http/present.js';
import { breakdownJsonSchema, topMerchantsJsonSchema } from '../src/features/breakdowns/routes.js';

interface Operation {
  parameters?: Array<{ name: string; in: string }>;
  responses: Record<string, unknown>;
}
type Document = { paths: Record<string, Record<string, Operation>> };

let app: TestApp;
let doc: Document;
test.before(async () => {
  app = await startTestApp({ docs: generateDocs(1, 20) });
  doc = (await (await fetch(`${app.url}/openapi.json`)).json()) as Document;
});
test.after.always(() => app?.close());

/** `/v1/budgets/:id` as OpenAPI writes it. */
const openApiPath = (path: string) => path.replace(/:([A-Za-z]+)/g, '{$1}');

const operations = () =>
  Object.entries(doc.paths)
    .filter(([path]) => path.startsWith('/v1/'))
    .flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({
        method: method.toUpperCase(),
        path,
        operation,
      })),
    );

test('every route the app serves is documented, and every documented operation is served', (t) => {
  const served = app.routes.map((route) => `${route.method} ${openApiPath(route.path)}`).sort();
  const documented = operations()
    .map((entry) => `${entry.method} ${entry.path}`)
    .sort();
  t.deepEqual(documented, served);
  t.true(served.length >= 30, `${served.length}`);
});

test('each route accepts exactly its documented query parameters: every one sent, only the others refused', async (t) => {
  const userId = 'u-openapi';
  const token = await app.issuer.clientToken('bank-app', [userId], Object.values(authScopes));
  const queryNames = (operation: Operation) =>
    (operation.parameters ?? [])
      .filter((parameter) => parameter.in === 'query')
      .map((parameter) => parameter.name);
  // Every name some operation documents, plus one no route knows.
  const candidates = [...new Set(operations().flatMap((entry) => queryNames(entry.operation)))];
  t.true(candidates.includes('userId'));
  const drift: string[] = [];
  for (const { method, path, operation } of operations()) {
    const documented = new Set(queryNames(operation));
    const query = new URLSearchParams();
    for (const name of [...candidates, 'zzUnknown'])
      query.set(name, name === 'userId' ? userId : '1');
    const url = `${app.url}${path.replace('{id}', 'id_openapi')}?${query.toString()}`;
    const response = await fetch(url, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(method === 'GET' || method === 'DELETE' ? {} : { body: '{}' }),
    });
    const what = `${method} ${path}`;
    const problem = (await response.json()) as {
      code: string;
      detail: string;
      errors?: Array<{ path: string; message: string }>;
    };
    t.is(problem.code, 'validation_failed', what);
    const unknown = problem.errors?.find((error) => /^Unrecognized key/.test(error.message));
    const refused = [...(unknown?.message.matchAll(/"([^"]+)"/g) ?? [])].map((match) => match[1]);
    const expected = [...candidates.filter((name) => !documented.has(name)), 'zzUnknown'];
    if (refused.sort().join() !== expected.sort().join())
      drift.push(`${what}: refused [${refused.join()}], documented [${[...documented].join()}]`);
  }
  t.deepEqual(drift, []);
});

test('a route taking a path id documents 404, and a change documents the statuses it answers', (t) => {
  const missing = operations()
    .filter((entry) => entry.path.includes('{id}') && !entry.operation.responses['404'])
    .map((entry) => `${entry.method} ${entry.path}`);
  t.deepEqual(missing, []);
  const responsesOf = (method: string, path: string) =>
    Object.keys(doc.paths[path]?.[method]?.responses ?? {});
  t.true(responsesOf('post', '/v1/budgets').includes('409'), 'the budgets-per-user limit');
  for (const stream of ['/v1/alerts/stream', '/v1/transactions/stream'])
    t.true(responsesOf('get', stream).includes('429'), `${stream}: too many open streams`);
});

test('a transaction, a search page and breakdowns answer exactly the documented schema', async (t) => {
  const answerSchema = (path: string) =>
    (
      doc.paths[path]?.get?.responses['200'] as {
        content: { 'application/json': { schema: unknown } };
      }
    ).content['application/json'].schema;
  const generated = (schema: z.ZodType) =>
    z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' });
  t.deepEqual(answerSchema('/v1/transactions/{id}'), generated(transactionJsonSchema));
  t.deepEqual(answerSchema('/v1/transactions'), generated(searchPageJsonSchema));
  const userId = testUsers[3]!.userId;
  const page = await (await app.as(userId, '/v1/transactions?facets=true&limit=5')).json();
  const parsed = searchPageJsonSchema.parse(page);
  t.is(parsed.items.length, 5);
  t.truthy(parsed.facets?.category?.length);
  const one = await (await app.as(userId, `/v1/transactions/${parsed.items[0]!.id}`)).json();
  t.deepEqual(transactionJsonSchema.parse(one), parsed.items[0]);
  t.true('merchantKey' in (one as object));
  t.deepEqual(answerSchema('/v1/analytics/breakdown'), generated(breakdownJsonSchema));
  t.deepEqual(answerSchema('/v1/analytics/top-merchants'), generated(topMerchantsJsonSchema));
  const period = 'period=year&date=2025-06-01';
  const get = async (path: string) => (await app.as(userId, path)).json();
  const byMerchant = breakdownJsonSchema.parse(
    await get(`/v1/analytics/breakdown?by=merchant&${period}`),
  );
  t.true(byMerchant.items.some((item) => (item.merchantKeys?.length ?? 0) > 0));
  const byCategory = breakdownJsonSchema.parse(
    await get(`/v1/analytics/breakdown?by=category&byCurrency=true&${period}`),
  );
  t.true(byCategory.items.some((item) => (item.subcategories?.length ?? 0) > 0));
  t.true(byCategory.items.every((item) => (item.currencies?.length ?? 0) > 0));
  const top = topMerchantsJsonSchema.parse(await get(`/v1/analytics/top-merchants?${period}`));
  t.deepEqual(
    top.items.map((item) => item.key),
    byMerchant.items.slice(0, top.items.length).map((item) => item.key),
  );
});
