/**
 * Login throttling: failed logins are counted per user id and per client address (an IPv6
 * client by its /64). Up to half the allowed failures cost nothing; each further one makes the
 * next attempt wait 1, 2, 4, … seconds; the last allowed one locks the user id (or the address)
 * out for IMPS_LOGIN_LOCKOUT seconds. While it waits, every Login of that user or from that
 * address is refused before any password is looked at, so a correct password from a locked
 * address waits out the lock too. A count is forgotten once no failure came for a lockout's
 * length.
 *
 * User ids are counted whether or not they exist, so that the lockout tells nobody which do.
 * Per-address limits are higher: a carrier's NAT puts many phones behind one address. Counts
 * live in this process (instances sharing a KV each count their own).
 */
import { clientKey } from "./client_key.ts";

interface Failures {
  count: number;
  /** Epoch ms of the last failure. */
  at: number;
  /** No login before this (epoch ms); a lockout when it came from the last allowed failure. */
  until: number;
}

export interface ThrottleOptions {
  userFailures: number;
  addressFailures: number;
  lockoutMs: number;
}

/** Why a login must wait, and until when. */
export interface Hold {
  /** Seconds left, at least 1. */
  seconds: number;
  locked: boolean;
  /** Which count holds it. */
  by: "user" | "address";
}

/** Counts kept at most (user ids and addresses together); the oldest go first. */
const MAX_RECORDS = 100_000;

export class LoginThrottle {
  readonly #records = new Map<string, Failures>();

  constructor(private readonly options: ThrottleOptions) {}

  /** Whether a login of `userId` from `address` must wait (undefined: it may go ahead). */
  hold(userId: string, address: string | undefined, now = Date.now()): Hold | undefined {
    const user = this.#live(`u:${userId}`, now);
    const from = address ? this.#live(`a:${clientKey(address)}`, now) : undefined;
    const byUser = user && user.until > now ? user.until : 0;
    const byAddress = from && from.until > now ? from.until : 0;
    if (byUser === 0 && byAddress === 0) return undefined;
    const by = byUser >= byAddress ? "user" : "address";
    const record = by === "user" ? user! : from!;
    return {
      seconds: Math.max(1, Math.ceil((record.until - now) / 1000)),
      locked: record.count >= this.#limit(by),
      by,
    };
  }

  /** Counts a failed login; returns the hold it causes, if any. */
  failed(userId: string, address: string | undefined, now = Date.now()): Hold | undefined {
    this.#count(`u:${userId}`, "user", now);
    if (address) this.#count(`a:${clientKey(address)}`, "address", now);
    return this.hold(userId, address, now);
  }

  /** A successful login clears the user's count (not the address's). */
  succeeded(userId: string): void {
    this.#records.delete(`u:${userId}`);
  }

  #limit(by: "user" | "address"): number {
    return by === "user" ? this.options.userFailures : this.options.addressFailures;
  }

  #live(key: string, now: number): Failures | undefined {
    const record = this.#records.get(key);
    if (record && now - record.at > this.options.lockoutMs && record.until <= now) {
      this.#records.delete(key);
      return undefined;
    }
    return record;
  }

  #count(key: string, by: "user" | "address", now: number): void {
    const record = this.#live(key, now) ?? { count: 0, at: now, until: 0 };
    record.count++;
    record.at = now;
    const limit = this.#limit(by);
    const free = Math.floor(limit / 2);
    if (record.count >= limit) record.until = now + this.options.lockoutMs;
    else if (record.count > free) {
      const backoff = 1000 * 2 ** (record.count - free - 1);
      record.until = now + Math.min(backoff, this.options.lockoutMs);
    }
    // Re-inserted, so the map's order is the order of last failure: the oldest go first.
    this.#records.delete(key);
    this.#records.set(key, record);
    if (this.#records.size > MAX_RECORDS) {
      this.#records.delete(this.#records.keys().next().value!);
    }
  }
}
