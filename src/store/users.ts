/** User accounts. */
import type { PasswordHash, Sealed } from "../util/crypto.ts";
import { msisdnDigits } from "../util/msisdn.ts";
import { check, CommitConflict, del, set, type Store } from "./kv.ts";

export interface UserRecord {
  /** Normalised `wv:user@domain`. */
  id: string;
  password: PasswordHash;
  /** The password itself, sealed with the server key: only for digest (4-way) login. */
  sealedPassword?: Sealed;
  createdAt: number;
  /** The user's phone number as the operator set it: SMS from it are the user's, and wake-up SMS
   * go to it. One user's only (the `user_msisdn` index); changed by setMsisdn only. */
  msisdn?: string;
}

const userKey = (id: string) => ["user", id];
/** Phone numbers are one user's each, known by their digits. */
export const msisdnKey = (msisdn: string) => ["user_msisdn", msisdnDigits(msisdn)];

/** How long a number's user is believed without a read (each SMS asks). */
const MSISDN_RECENT_MS = 2_000;

export class UserRepo {
  constructor(private readonly store: Store) {}

  get(id: string): Promise<UserRecord | undefined> {
    return this.store.get<UserRecord>(userKey(id));
  }

  /** Whether the user exists, as known at most `maxAgeMs` ago (a recipient check on every
   * send): users added or removed by another process (the admin command) may go unseen so long. */
  async exists(id: string, maxAgeMs: number): Promise<boolean> {
    return await this.store.getRecent<UserRecord>(userKey(id), maxAgeMs) !== undefined;
  }

  /** Creates the user; false if it already exists (or its number is another user's). */
  async create(user: UserRecord): Promise<boolean> {
    const number = user.msisdn === undefined
      ? []
      : [check(msisdnKey(user.msisdn), null), set(msisdnKey(user.msisdn), user.id)];
    try {
      await this.store.write(check(userKey(user.id), null), set(userKey(user.id), user), ...number);
      return true;
    } catch (error) {
      if (error instanceof CommitConflict) return false;
      throw error;
    }
  }

  /** Writes the user; its phone number is changed by setMsisdn only. */
  put(user: UserRecord): Promise<void> {
    return this.store.write(set(userKey(user.id), user));
  }

  async delete(id: string): Promise<void> {
    const user = await this.get(id);
    const number = user?.msisdn === undefined ? [] : [del(msisdnKey(user.msisdn))];
    await this.store.write(del(userKey(id)), ...number);
  }

  /** The user a phone number belongs to (whose record still says so). */
  async byMsisdn(msisdn: string): Promise<string | undefined> {
    const id = await this.store.getRecent<string>(msisdnKey(msisdn), MSISDN_RECENT_MS);
    if (id === undefined) return undefined;
    const user = await this.store.getRecent<UserRecord>(userKey(id), MSISDN_RECENT_MS);
    const held = user?.msisdn !== undefined && msisdnDigits(user.msisdn) === msisdnDigits(msisdn);
    return held ? id : undefined;
  }

  /**
   * Gives the user a phone number (undefined: none). "taken" when the number is another user's;
   * "no user" when there is no such user.
   */
  async setMsisdn(id: string, msisdn: string | undefined): Promise<"ok" | "taken" | "no user"> {
    for (let attempt = 0; attempt < 8; attempt++) {
      const entry = await this.store.getEntry<UserRecord>(userKey(id));
      if (!entry) return "no user";
      const user = entry.value;
      const mutations = [check(userKey(id), entry.versionstamp)];
      if (msisdn !== undefined) {
        const holder = await this.store.getEntry<string>(msisdnKey(msisdn));
        if (holder && holder.value !== id) return "taken";
        mutations.push(check(msisdnKey(msisdn), holder?.versionstamp ?? null));
      }
      const old = user.msisdn;
      if (
        old !== undefined && (msisdn === undefined || msisdnDigits(old) !== msisdnDigits(msisdn))
      ) {
        mutations.push(del(msisdnKey(old)));
      }
      if (msisdn !== undefined) mutations.push(set(msisdnKey(msisdn), id));
      const { msisdn: _, ...rest } = user;
      mutations.push(set(userKey(id), msisdn === undefined ? rest : { ...rest, msisdn }));
      try {
        await this.store.write(...mutations);
        return "ok";
      } catch (error) {
        if (!(error instanceof CommitConflict)) throw error;
      }
    }
    throw new Error(`the phone number of ${id} kept changing`);
  }

  /** Whether the store holds any user at all. */
  async any(): Promise<boolean> {
    return (await this.store.list(["user"], { limit: 1 })).length > 0;
  }

  async list(): Promise<UserRecord[]> {
    return (await this.store.list<UserRecord>(["user"])).map((e) => e.value);
  }
}
