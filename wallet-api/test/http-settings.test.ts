/**
 * PATCH /v1/me changes the user's own settings and publishes each change as a new
 * `user_settings.snapshot` on `ref.user-settings` through the outbox, with a growing revision; bad
 * values are 400s naming the field, and another user's data never changes.
 */
import test from 'ava';
import { decodeEvent, topics } from '@spendstream/core/events';
import { startHarness } from './http-harness.js';
import type { Harness } from './http-harness.js';

/** The settings snapshots in the outbox for one user, oldest first. */
async function snapshotsOf(h: Harness, userId: string) {
  const rows = (await h.db
    .knex('outbox')
    .where({ topic: topics.refUserSettings, msg_key: userId })
    .orderBy('id')) as Array<{ event_id: string; payload: string }>;
  return rows.map((r) => {
    const event = decodeEvent(topics.refUserSettings, r.payload);
    return { ...(event.payload as Record<string, unknown>), id: r.event_id } as Record<
      string,
      unknown
    >;
  });
}

for (const kind of ['sqlite', 'mariadb'] as const) {
  test(`${kind}: each settings change publishes the next snapshot revision; another user is untouched`, async (t) => {
    const h = await startHarness(t, kind);
    const alice = await h.signUp();
    const bob = await h.signUp();
    const bobBefore = (await h.call('GET', '/v1/me', { token: bob.accessToken })).json;
    const bobSnapshots = await snapshotsOf(h, bob.userId);

    const first = await h.call('PATCH', '/v1/me', {
      token: alice.accessToken,
      body: { timeZone: 'America/New_York', homeCurrency: 'USD' },
    });
    t.is(first.status, 200);
    t.like(first.json, {
      id: alice.userId,
      timeZone: 'America/New_York',
      homeCurrency: 'USD',
      locale: 'en-US',
      settingsRevision: 1,
    });
    const second = await h.call('PATCH', '/v1/me', {
      token: alice.accessToken,
      body: { displayName: '  Alice B.  ', locale: 'fr-fr' },
    });
    t.like(second.json, { displayName: 'Alice B.', locale: 'fr-FR', settingsRevision: 2 });
    // The same values again change nothing and publish nothing.
    const same = await h.call('PATCH', '/v1/me', {
      token: alice.accessToken,
      body: { timeZone: 'America/New_York' },
    });
    t.is(same.status, 200);
    t.is(same.json.settingsRevision, 2);

    const published = await snapshotsOf(h, alice.userId);
    t.deepEqual(
      published.map((p) => [p.id, p.revision, p.timeZone, p.homeCurrency, p.locale]),
      [
        [`${alice.userId}:settings:0`, 0, 'Europe/Paris', 'EUR', 'en-US'],
        [`${alice.userId}:settings:1`, 1, 'America/New_York', 'USD', 'en-US'],
        [`${alice.userId}:settings:2`, 2, 'America/New_York', 'USD', 'fr-FR'],
      ],
    );
    t.deepEqual((await h.call('GET', '/v1/me', { token: alice.accessToken })).json, second.json);

    // Bob's account and his snapshots are exactly as before.
    t.deepEqual((await h.call('GET', '/v1/me', { token: bob.accessToken })).json, bobBefore);
    t.deepEqual(await snapshotsOf(h, bob.userId), bobSnapshots);
  });
}

test('bad settings are a 400 naming the field, and nothing is written', async (t) => {
  const h = await startHarness(t);
  const alice = await h.signUp();
  const outboxBefore = await h.count('outbox');
  const cases: Array<[unknown, string]> = [
    [{ timeZone: 'Mars/Olympus_Mons' }, 'timeZone'],
    [{ homeCurrency: 'EURO' }, 'homeCurrency'],
    [{ homeCurrency: 'XXX1' }, 'homeCurrency'],
    [{ locale: 'not a locale!' }, 'locale'],
    [{ displayName: '   ' }, 'displayName'],
    [{ displayName: 'x'.repeat(101) }, 'displayName'],
    [{ email: 'other@example.test' }, 'email'],
    [{ isAdmin: true }, 'isAdmin'],
  ];
  for (const [body, field] of cases) {
    const r = await h.call('PATCH', '/v1/me', { token: alice.accessToken, body });
    t.is(r.status, 400, JSON.stringify(body));
    t.regex(r.headers.get('content-type') ?? '', /application\/problem\+json/);
    t.true(
      JSON.stringify(r.json).includes(field),
      `the problem names ${field}: ${JSON.stringify(r.json)}`,
    );
  }
  t.is((await h.call('PATCH', '/v1/me', { token: alice.accessToken, body: {} })).status, 400);
  t.is((await h.call('PATCH', '/v1/me', { body: { timeZone: 'UTC' } })).status, 401);
  const me = (await h.call('GET', '/v1/me', { token: alice.accessToken })).json;
  t.like(me, { timeZone: 'Europe/Paris', homeCurrency: 'EUR', settingsRevision: 0 });
  t.is(await h.count('outbox'), outboxBefore);
});

test("a machine client cannot change a user's settings", async (t) => {
  const h = await startHarness(t);
  const admin = await h.signUp({ email: 'admin@example.test' });
  const alice = await h.signUp();
  const client = await h.call('POST', '/v1/clients', {
    token: admin.accessToken,
    body: { name: 'Bank', scopes: ['transactions:write'] },
  });
  await h.call('PUT', `/v1/me/grants/${client.json.clientId}`, {
    token: alice.accessToken,
    body: {},
  });
  const token = await h.call('POST', '/v1/oauth/token', {
    body: {
      grant_type: 'client_credentials',
      client_id: client.json.clientId,
      client_secret: client.json.clientSecret,
    },
  });
  const r = await h.call('PATCH', '/v1/me', {
    token: token.json.access_token,
    headers: { 'On-Behalf-Of': alice.userId },
    body: { timeZone: 'UTC' },
  });
  t.is(r.status, 403);
  t.like((await h.call('GET', '/v1/me', { token: alice.accessToken })).json, {
    timeZone: 'Europe/Paris',
  });
});
