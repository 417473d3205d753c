/**
 * Rate limits per session and per user (IMPS_RATE_*): token buckets kept in memory, one per key
 * and kind. A request over a limit is answered 503 with how long to wait (1.3 clients also get
 * it as TryAgainTimeout), never dropped. The defaults let one account use a few per cent of
 * what a 2-core server handles (messages, requests), so that no single client or script takes
 * the server from the others; they are generous enough for the benchmarks.
 *
 * Buckets live in this process: instances sharing a KV each count their own traffic.
 */
import type { Config } from "../config.ts";

export type RateKind =
  | "session_requests"
  | "user_requests"
  | "messages"
  | "recipients"
  | "groups"
  | "searches"
  | "uploads";

/** What one request costs of a kind (a message to 5 users costs 5 recipients). */
export interface RateCharge {
  kind: RateKind;
  cost: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** Keys over this many in one kind make the next check drop the buckets that are full again. */
const SWEEP_AT = 10_000;

/** Tokens refilled continuously up to `capacity`; a key never seen starts full. */
export class TokenBuckets {
  readonly #buckets = new Map<string, Bucket>();
  #sweepAt = SWEEP_AT;

  constructor(readonly capacity: number, readonly perMs: number) {}

  /** Takes `cost` tokens: 0 when granted, else how many ms until they would be there. A cost
   * above the capacity is taken from a full bucket (one big request passes, then waits). */
  take(key: string, cost: number, now = Date.now()): number {
    const need = Math.min(cost, this.capacity);
    const bucket = this.#buckets.get(key);
    const tokens = bucket
      ? Math.min(this.capacity, bucket.tokens + (now - bucket.at) * this.perMs)
      : this.capacity;
    if (tokens < need) return Math.ceil((need - tokens) / this.perMs);
    if (bucket) {
      bucket.tokens = tokens - need;
      bucket.at = now;
    } else {
      this.#buckets.set(key, { tokens: tokens - need, at: now });
      if (this.#buckets.size >= this.#sweepAt) this.#sweep(now);
    }
    return 0;
  }

  /** Buckets held (tests). */
  get size(): number {
    return this.#buckets.size;
  }

  #sweep(now: number): void {
    for (const [key, b] of this.#buckets) {
      if (b.tokens + (now - b.at) * this.perMs >= this.capacity) this.#buckets.delete(key);
    }
    this.#sweepAt = Math.max(SWEEP_AT, this.#buckets.size * 2);
  }
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** Every rate limit of a server, by kind. */
export class RateLimits {
  readonly #buckets: Record<RateKind, TokenBuckets>;

  constructor(config: Config) {
    // Per-second rates allow a burst of two seconds' worth; per-minute and per-hour ones the
    // whole amount at once.
    const perSecond = (n: number) => new TokenBuckets(2 * n, n / SECOND);
    this.#buckets = {
      session_requests: perSecond(config.rateSessionRequests),
      user_requests: perSecond(config.rateUserRequests),
      messages: perSecond(config.rateMessages),
      recipients: new TokenBuckets(config.rateRecipients, config.rateRecipients / MINUTE),
      groups: new TokenBuckets(config.rateGroups, config.rateGroups / HOUR),
      searches: new TokenBuckets(config.rateSearches, config.rateSearches / MINUTE),
      uploads: new TokenBuckets(config.rateUploads, config.rateUploads / MINUTE),
    };
  }

  /** Takes the charge for `key`: 0 when granted, else the seconds to wait (at least 1). */
  take(kind: RateKind, key: string, cost = 1, now = Date.now()): number {
    const waitMs = this.#buckets[kind].take(key, cost, now);
    return waitMs === 0 ? 0 : Math.max(1, Math.ceil(waitMs / SECOND));
  }
}
