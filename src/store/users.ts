/** User accounts. */
import type { PasswordHash, Sealed } from "../util/crypto.ts";
import { check, CommitConflict, del, set, type Store } from "./kv.ts";

export interface UserRecord {
  /** Normalised `wv:user@domain`. */
  id: string;
  password: PasswordHash;
  /** The password itself, sealed with the server key: only for digest (4-way) login. */
  sealedPassword?: Sealed;
  createdAt: number;
  /** The user's phone number as the operator set it: where wake-up SMS go. */
  msisdn?: string;
}

const userKey = (id: string) => ["user", id];

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

  /** Creates the user; false if it already exists. */
  async create(user: UserRecord): Promise<boolean> {
    try {
      await this.store.write(check(userKey(user.id), null), set(userKey(user.id), user));
      return true;
    } catch (error) {
      if (error instanceof CommitConflict) return false;
      throw error;
    }
  }

  put(user: UserRecord): Promise<void> {
    return this.store.write(set(userKey(user.id), user));
  }

  delete(id: string): Promise<void> {
    return this.store.write(del(userKey(id)));
  }

  /** Whether the store holds any user at all. */
  async any(): Promise<boolean> {
    return (await this.store.list(["user"], { limit: 1 })).length > 0;
  }

  async list(): Promise<UserRecord[]> {
    return (await this.store.list<UserRecord>(["user"])).map((e) => e.value);
  }
}
