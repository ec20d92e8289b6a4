/**
 * PATCH /v1/transactions/{id}: the user's tags and note, published as `transaction.annotated` v1 on
 * `transactions.corrections` (202) for stream-jobs; another user's id is a 404 and publishes
 * nothing; bad input is a 400 naming the field.
 */
import test from 'ava';
import { decodeEvent, encodeEvent, topics } from '@spendstream/core/events';
import { generateDocs, testUsers } from './support/factories.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const owner = testUsers[3]!; // u-paris
const intruder = testUsers[1]!; // u-newyork
const docs = generateDocs(5, 100);
const ownerDoc = docs.find((doc) => doc.userId === owner.userId)!;
let app: TestApp;

test.before(async () => {
  app = await startTestApp({ docs, now: '2026-06-15T12:00:00Z' });
});
test.after.always(async () => {
  await app?.close();
});

const corrections = () =>
  app.publisher.published.filter((entry) => entry.topic === topics.transactionsCorrections);

const patch = (userId: string, id: string, body: unknown) =>
  app.as(userId, `/v1/transactions/${id}`, { method: 'PATCH', body: JSON.stringify(body) });

test.serial(
  'setting tags and a note publishes transaction.annotated, deduplicating tags',
  async (t) => {
    const before = corrections().length;
    const response = await patch(owner.userId, ownerDoc.id, {
      tags: ['work', 'trip-2026', 'work'],
      note: 'client dinner',
    });
    t.is(response.status, 202);
    const body = (await response.json()) as Record<string, unknown>;
    t.like(body, {
      transactionId: ownerDoc.id,
      tags: ['work', 'trip-2026'],
      note: 'client dinner',
    });
    t.is(corrections().length, before + 1);
    const event = decodeEvent(
      topics.transactionsCorrections,
      encodeEvent(topics.transactionsCorrections, corrections().at(-1)!.event as never),
    );
    t.is(event.type, 'transaction.annotated');
    t.is(event.key, owner.userId);
    t.deepEqual(event.payload, {
      correctionId: body.correctionId,
      transactionId: ownerDoc.id,
      userId: owner.userId,
      tags: ['work', 'trip-2026'],
      note: 'client dinner',
      annotatedAt: '2026-06-15T12:00:00.000Z',
    });
  },
);

test.serial(
  'clearing: tags [] and note null are published as given; an absent field is left out',
  async (t) => {
    const response = await patch(owner.userId, ownerDoc.id, { tags: [] });
    t.is(response.status, 202);
    const cleared = corrections().at(-1)!.event as { payload: Record<string, unknown> };
    t.deepEqual(cleared.payload.tags, []);
    t.false('note' in cleared.payload);
    t.is((await patch(owner.userId, ownerDoc.id, { note: null })).status, 202);
    const noNote = corrections().at(-1)!.event as { payload: Record<string, unknown> };
    t.is(noNote.payload.note, null);
    t.false('tags' in noNote.payload);
  },
);

test.serial("another user's transaction is a 404 and publishes nothing", async (t) => {
  const before = corrections().length;
  const response = await patch(intruder.userId, ownerDoc.id, { tags: ['mine'] });
  t.is(response.status, 404);
  t.like(await response.json(), { code: 'not_found', field: 'id' });
  const asOther = await app.as(
    intruder.userId,
    `/v1/transactions/${ownerDoc.id}?userId=${owner.userId}`,
    {
      method: 'PATCH',
      body: JSON.stringify({ tags: ['mine'] }),
    },
  );
  t.is(asOther.status, 403);
  t.is(corrections().length, before);
});

const badBodies: Array<[string, unknown, string]> = [
  ['a tag with a dot', { tags: ['a.b'] }, 'tags.0'],
  ['a tag starting with $', { tags: ['$set'] }, 'tags.0'],
  ['a tag too long', { tags: ['x'.repeat(41)] }, 'tags.0'],
  ['an empty tag', { tags: [''] }, 'tags.0'],
  ['too many tags', { tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }, 'tags'],
  ['tags not a list', { tags: 'work' }, 'tags'],
  ['a note too long', { note: 'x'.repeat(2001) }, 'note'],
  ['neither tags nor note', {}, 'tags'],
  ['an unknown field', { tags: ['a'], category: 'food' }, '(root)'],
];

for (const [name, body, field] of badBodies) {
  test.serial(`${name} is a 400 naming ${field} and publishes nothing`, async (t) => {
    const before = corrections().length;
    const response = await patch(owner.userId, ownerDoc.id, body);
    t.is(response.status, 400);
    t.is(response.headers.get('content-type'), 'application/problem+json');
    t.like(await response.json(), { code: 'validation_failed', field });
    t.is(corrections().length, before);
  });
}

test('an unknown transaction id is a 404', async (t) => {
  t.is((await patch(owner.userId, 'tx_nope', { tags: ['a'] })).status, 404);
});
