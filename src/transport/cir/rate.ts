/**
 * Token buckets by key (a user, an address, or one key for the whole server): each holds up to
 * `burst` tokens and gains `perSecond` a second. Memory is bounded: past `maxKeys` buckets, the
 * full ones (which remember nothing a fresh bucket would not) are dropped, and if none is, all.
 */
export interface RateOptions {
  burst: number;
  perSecond: number;
  maxKeys?: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimit {
  readonly #buckets = new Map<string, Bucket>();
  readonly #maxKeys: number;

  constructor(private readonly options: RateOptions) {
    this.#maxKeys = options.maxKeys ?? 100_000;
  }

  /** Takes a token for `key`: false when its bucket is empty (the action is over the rate). */
  take(key: string, now = Date.now()): boolean {
    let bucket = this.#buckets.get(key);
    if (!bucket) {
      if (this.#buckets.size >= this.#maxKeys) this.#prune(now);
      this.#buckets.set(key, bucket = { tokens: this.options.burst, at: now });
    } else {
      const gained = ((now - bucket.at) / 1000) * this.options.perSecond;
      bucket.tokens = Math.min(this.options.burst, bucket.tokens + gained);
      bucket.at = now;
    }
    if (bucket.tokens < 1) return false;
    bucket.tokens--;
    return true;
  }

  /** Whether `key` has no token left now (without taking one). */
  exhausted(key: string, now = Date.now()): boolean {
    const bucket = this.#buckets.get(key);
    if (!bucket) return false;
    const gained = ((now - bucket.at) / 1000) * this.options.perSecond;
    return bucket.tokens + gained < 1;
  }

  #prune(now: number): void {
    for (const [key, bucket] of this.#buckets) {
      const tokens = bucket.tokens + ((now - bucket.at) / 1000) * this.options.perSecond;
      if (tokens >= this.options.burst) this.#buckets.delete(key);
    }
    if (this.#buckets.size >= this.#maxKeys) this.#buckets.clear();
  }
}
