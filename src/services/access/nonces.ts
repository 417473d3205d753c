/**
 * Nonces of the 4-way (digest) login, one per attempt. Step 1 hands out a nonce; step 2 names
 * only the user, so it is checked against each nonce still outstanding for that user and uses
 * up the one it proves. Nobody but the client that asked for a nonce can use it or cancel it:
 *
 * - per user and client address at most `perUserAddress` are outstanding (a client that asks
 *   again replaces its own oldest), and at most `perUser` in all: a step 1 beyond that is
 *   refused rather than allowed to push out another client's nonce;
 * - per client address at most `perAddress` are outstanding over all users (its own oldest
 *   goes), so no address can fill the store with nonces;
 * - a nonce lives `ttlMs` and proves one login; a wrong digest uses up the oldest nonce of the
 *   address that sent it, so each step 1 allows one guess, and never costs another client its
 *   nonce.
 *
 * Nonces are kept in KV, so step 2 may reach another instance sharing the store; the count per
 * address is kept in memory, per instance.
 */
import { check, CommitConflict, del, type Store } from "../../store/kv.ts";
import type { DigestSchema } from "../../util/crypto.ts";
import { randomHex } from "../../util/ids.ts";
import { clientKey } from "./client_key.ts";
import type { LoginNonceStorage, Nonce } from "./storage.ts";

export interface NonceLimits {
  ttlMs: number;
  perUser: number;
  perUserAddress: number;
  perAddress: number;
}

export const NONCE_LIMITS: NonceLimits = {
  ttlMs: 60_000,
  perUser: 8,
  perUserAddress: 2,
  perAddress: 64,
};

interface NonceRecord {
  schema: DigestSchema;
  address: string;
  issuedAt: number;
  expiresAt: number;
}

const nonceKey = (userId: string, nonce: string) => ["login_nonce", userId, nonce];

/** Addresses tracked before those whose nonces all expired are swept out. */
const ADDRESSES_KEPT = 10_000;

/** The storage of `storage.ts` over Deno KV. */
export class LoginNonces implements LoginNonceStorage {
  /** Per client address, the (user, nonce) pairs it was handed, oldest first. */
  readonly #byAddress = new Map<string, { userId: string; nonce: string; expiresAt: number }[]>();

  constructor(
    private readonly store: Store,
    private readonly limits: NonceLimits = NONCE_LIMITS,
    private readonly now: () => number = Date.now,
  ) {}

  async issue(userId: string, schema: DigestSchema, from: string): Promise<Nonce | undefined> {
    const address = clientKey(from);
    const now = this.now();
    const live = await this.#outstanding(userId, now);
    const mine = live.filter((n) => n.record.address === address);
    const replaced = mine.length >= this.limits.perUserAddress ? mine[0].nonce : undefined;
    if (replaced === undefined && live.length >= this.limits.perUser) return undefined;

    const nonce = randomHex(16);
    const record: NonceRecord = {
      schema,
      address,
      issuedAt: now,
      expiresAt: now + this.limits.ttlMs,
    };
    const evicted = this.#remember(address, userId, nonce, record.expiresAt, now);
    await this.store.write(
      { type: "set", key: nonceKey(userId, nonce), value: record, expireIn: this.limits.ttlMs },
      ...[...(replaced ? [{ userId, nonce: replaced }] : []), ...evicted].map((n) =>
        del(nonceKey(n.userId, n.nonce))
      ),
    );
    if (replaced) this.#forget(address, userId, replaced);
    return { nonce, schema };
  }

  async redeem(
    userId: string,
    from: string,
    proves: (nonce: Nonce) => boolean,
  ): Promise<boolean> {
    const address = clientKey(from);
    const live = await this.#outstanding(userId, this.now());
    const match = live.find((n) => proves({ nonce: n.nonce, schema: n.record.schema }));
    const spent = match ?? live.find((n) => n.record.address === address);
    if (!spent) return false;
    try {
      // Checked against the version read: of two step 2s racing with one nonce, one wins.
      await this.store.write(
        check(nonceKey(userId, spent.nonce), spent.versionstamp),
        del(nonceKey(userId, spent.nonce)),
      );
    } catch (error) {
      if (error instanceof CommitConflict) return false;
      throw error;
    } finally {
      this.#forget(spent.record.address, userId, spent.nonce);
    }
    return match !== undefined;
  }

  /** The user's unexpired nonces, oldest first; expired ones are deleted on the way. */
  async #outstanding(userId: string, now: number) {
    // Issuing keeps a user's nonces near perUser; the limit bounds the read if racing step 1s
    // ever left more.
    const entries = await this.store.list<NonceRecord>(["login_nonce", userId], {
      limit: 4 * this.limits.perUser,
    });
    const live = [];
    const expired = [];
    for (const entry of entries) {
      const nonce = String(entry.key[2]);
      if (entry.value.expiresAt <= now) expired.push(nonce);
      else live.push({ nonce, record: entry.value, versionstamp: entry.versionstamp });
    }
    if (expired.length > 0) {
      await this.store.write(...expired.map((n) => del(nonceKey(userId, n))));
    }
    return live.sort((a, b) => a.record.issuedAt - b.record.issuedAt);
  }

  /** Notes a nonce handed to `address`; answers those the address must give up for it. */
  #remember(address: string, userId: string, nonce: string, expiresAt: number, now: number) {
    if (this.#byAddress.size >= ADDRESSES_KEPT) this.#dropExpired(now);
    const list = (this.#byAddress.get(address) ?? []).filter((n) => n.expiresAt > now);
    list.push({ userId, nonce, expiresAt });
    const evicted = list.splice(0, Math.max(0, list.length - this.limits.perAddress));
    this.#byAddress.set(address, list);
    return evicted;
  }

  #dropExpired(now: number): void {
    for (const [address, list] of this.#byAddress) {
      if (list.every((n) => n.expiresAt <= now)) this.#byAddress.delete(address);
    }
  }

  #forget(address: string, userId: string, nonce: string): void {
    const list = this.#byAddress.get(address);
    if (!list) return;
    const rest = list.filter((n) => !(n.userId === userId && n.nonce === nonce));
    if (rest.length > 0) this.#byAddress.set(address, rest);
    else this.#byAddress.delete(address);
  }
}
