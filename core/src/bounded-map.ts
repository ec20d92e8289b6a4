/**
 * A `Map` for memos of answers that never change (calendar arithmetic, statement texts, verified
 * tokens until their expiry) which never grows past a named bound: adding a new key when it holds
 * `entriesMax` entries empties it first.
 *
 * Emptying it whole is the cheapest bound (a hit does no recency bookkeeping) and the right one
 * for these memos, whose working set is far below their bound: a full memo means the keys have
 * moved on (new dates, new users), and the ones still in use come back at one miss each.
 */
export class BoundedMap<K, V> extends Map<K, V> {
  readonly entriesMax: number;

  constructor(entriesMax: number) {
    if (!Number.isSafeInteger(entriesMax) || entriesMax < 1)
      throw new RangeError(`a BoundedMap holds at least 1 entry, got ${entriesMax}`);
    super();
    this.entriesMax = entriesMax;
  }

  /** Sets `key`; a new key when the map is full empties the map first. */
  override set(key: K, value: V): this {
    if (this.size >= this.entriesMax && !this.has(key)) this.clear();
    return super.set(key, value);
  }
}
