import test from 'ava';
import { merchantsCachedMax, normalizeMerchant } from './merchants.js';
import { dictionaryMerchants } from './merchant-dictionary.js';
import { resolveCategory } from '../categorize/categories.js';

const messy: Array<[string, string]> = [
  ['AMZN MKTP US*2K4AB1', 'amazon'],
  ['AMZN Mktp US*RT4KL92J3 Amzn.com/bill WA', 'amazon'],
  ['Amazon.com*MK1234 AMZN.COM/BILL', 'amazon'],
  ['AMAZON PRIME*2K4 AMZN.COM/BILL WA', 'amazon_prime'],
  ['POS 1234 STARBUCKS #0042 SEATTLE WA', 'starbucks'],
  ['SQ *BLUE BOTTLE COFFEE Oakland CA', 'blue_bottle'],
  ['PAYPAL *NETFLIX.COM 402-935-7733', 'netflix'],
  ['CHECKCARD 0925 UBER *TRIP HELP.UBER.COM', 'uber'],
  ['UBER EATS PENDING', 'uber_eats'],
  ['DEBIT CARD PURCHASE WHOLEFDS MKT 10234', 'whole_foods'],
  ["McDonald's F12345", 'mcdonalds'],
  ['MCDONALDS 38521 LOS ANGELES', 'mcdonalds'],
  ['SPOTIFY USA 877-7781161 NY', 'spotify'],
  ['TESCO STORES 3124 LONDON GB', 'tesco'],
  ['COUNTDOWN PONSONBY AUCKLAND NZ', 'countdown'],
  ['PAK N SAVE MT ALBERT', 'paknsave'],
  ['SHELL OIL 57444180300', 'shell'],
  ['7-ELEVEN 34567', 'seven_eleven'],
  ['TFL TRAVEL CH TFL.GOV.UK/CP', 'tfl'],
  ['Purchase authorized on 09/14 TARGET T-1234 BROOKLYN NY', 'target'],
  ['APPLE.COM/BILL 866-712-7753 CA', 'apple_services'],
  ['GOOGLE *YouTubePremium g.co/helppay#', 'youtube'],
  ['VISA PURCHASE NETFLIX.COM LOS GATOS CA', 'netflix'],
  ['Café Nero? no: COSTCO WHSE #0481', 'costco'],
];

for (const [descriptor, merchantId] of messy) {
  test(`it recognizes ${merchantId} in ${JSON.stringify(descriptor)}`, (t) => {
    const merchant = normalizeMerchant(descriptor);
    t.is(merchant.merchantId, merchantId);
    t.true(merchant.known);
  });
}

test('it prefers the merchant name a bank sends apart from the descriptor', (t) => {
  const merchant = normalizeMerchant('CARD 9921 REF 88231', 'Lyft Ride');
  t.is(merchant.merchantId, 'lyft');
  t.is(merchant.name, 'Lyft');
});

test('it gives an unknown merchant a stable slug id and a title-cased name without noise', (t) => {
  const a = normalizeMerchant('SQ *JOES CORNER CAFE #12 PORTLAND OR');
  const b = normalizeMerchant('SQ *Joes Corner Cafe 0098');
  t.false(a.known);
  t.is(a.merchantId, 'raw:joes-corner-cafe-portland');
  t.is(a.name, 'Joes Corner Cafe Portland');
  t.is(b.merchantId, 'raw:joes-corner-cafe');
  t.is(a.categoryId, null);
});

test('it does not match a short alias in the middle of a name', (t) => {
  // `bp` and `ee` are aliases, but only at the start of the descriptor.
  t.false(normalizeMerchant('GRACE BP FARM EE STALL').known);
});

test('it maps an empty descriptor to the unknown merchant', (t) => {
  t.is(normalizeMerchant('   ').merchantId, 'raw:unknown');
});

test('the dictionary holds a few hundred merchants with unique ids and real categories', (t) => {
  t.true(dictionaryMerchants.length >= 300);
  t.is(new Set(dictionaryMerchants.map((m) => m.id)).size, dictionaryMerchants.length);
  const badCategories = dictionaryMerchants
    .filter((m) => resolveCategory(m.categoryId) === null)
    .map((m) => m.id);
  t.deepEqual(badCategories, []);
});

test('a descriptor seen before gets the answer kept for it, frozen; one with a hint is worked out again', (t) => {
  const first = normalizeMerchant('POS 1234 STARBUCKS #0042 SEATTLE WA');
  const again = normalizeMerchant('POS 1234 STARBUCKS #0042 SEATTLE WA', null);
  t.is(again, first);
  t.true(Object.isFrozen(first));
  t.is(first.merchantId, 'starbucks');
  const hinted = normalizeMerchant('POS 1234 STARBUCKS #0042 SEATTLE WA', 'Blue Bottle Coffee');
  t.is(hinted.merchantId, 'blue_bottle');
  t.is(normalizeMerchant('POS 1234 STARBUCKS #0042 SEATTLE WA'), first);
});

test('the kept answers are bounded: past the bound an answer is worked out again, the same', (t) => {
  const first = normalizeMerchant('JOES CORNER CAFE 1234');
  for (let i = 0; i <= merchantsCachedMax; i += 1) normalizeMerchant(`SHOP NUMBER ${i} LTD`);
  const after = normalizeMerchant('JOES CORNER CAFE 1234');
  t.not(after, first);
  t.deepEqual(after, first);
});
