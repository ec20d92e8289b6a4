import test from 'ava';
import { grantScanMax, resolveUser, type Caller } from './caller.js';

const client = (userIds: readonly string[]): Caller => ({
  kind: 'client',
  clientId: 'acme-bank',
  userIds,
  scopes: ['transactions:write'],
});

test('a client acts for exactly the users of its grant, short or long', (t) => {
  for (const size of [1, 3, grantScanMax, grantScanMax + 1, 5_000]) {
    const userIds = Array.from({ length: size }, (_, i) => `usr_${i}`);
    const caller = client(userIds);
    for (const userId of [userIds[0]!, userIds[size - 1]!, userIds[Math.floor(size / 2)]!])
      t.is(resolveUser(caller, userId), userId, `${size}: ${userId}`);
    // Asked twice (the Set of a long grant is reused): the same answers.
    t.is(resolveUser(caller, userIds[0]!), userIds[0]!);
    for (const stranger of ['usr_x', `usr_${size}`, '', 'USR_0'])
      t.throws(
        () => resolveUser(caller, stranger),
        { message: /no grant/ },
        `${size}: ${stranger}`,
      );
  }
});

test('the same grant list changed into another list answers for the new list', (t) => {
  const long = Array.from({ length: 40 }, (_, i) => `usr_${i}`);
  t.is(resolveUser(client(long), 'usr_39'), 'usr_39');
  const other = long.map((u) => `${u}b`);
  t.throws(() => resolveUser(client(other), 'usr_39'), { message: /no grant/ });
  t.is(resolveUser(client(other), 'usr_39b'), 'usr_39b');
});
