/**
 * A small in-process cache with a fixed time-to-live and a size cap. No timers: entries
 * expire when read, and the oldest entry is evicted when the cap is reached (a Map keeps
 * insertion order).
 */
export class TtlCache<V> {
  private readonly entries = new Map<string, { value: V; expiresAt: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** `nowMs`: the caller's own clock reading, when it already took one for the same request. */
  get(key: string, nowMs = this.now()): V | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.expiresAt <= nowMs) {
      this.entries.delete(key);
      return undefined;
    }
    return e.value;
  }

  /** `atMs`: when the value was read, if earlier than now (its age counts from the read's start). */
  set(key: string, value: V, atMs = this.now()): void {
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, { value, expiresAt: atMs + this.ttlMs });
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}
