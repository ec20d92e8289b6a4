import test from 'ava';
import { murmur2, partitionForKey } from './port.js';

test('murmur2 matches the values of Kafka Java client tests', (t) => {
  // Expected values from Kafka's UtilsTest.testMurmur2.
  t.is(murmur2(Buffer.from('21')), -973932308);
  t.is(murmur2(Buffer.from('foobar')), -790332482);
  t.is(murmur2(Buffer.from('a-little-bit-long-string')), -985981536);
  t.is(murmur2(Buffer.from('a-little-bit-longer-string')), -1486304829);
  t.is(murmur2(Buffer.from('lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8')), -58897971);
  t.is(murmur2(Buffer.from('abc')), 479470107);
});

test('a key always maps to the same partition within range', (t) => {
  for (let i = 0; i < 1000; i++) {
    const p = partitionForKey(Buffer.from(`user-${i}`), 7);
    t.true(p >= 0 && p < 7);
    t.is(partitionForKey(Buffer.from(`user-${i}`), 7), p);
  }
});
