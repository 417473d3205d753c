/** User accounts. */
import type { PasswordHash, Sealed } from "../util/crypto.ts";
import { del, set, type Store } from "./kv.ts";

export interface UserRecord {
  /** Normalised `wv:user@domain`. */
  id: string;
  password: PasswordHash;
  /** The password itself, sealed with the server key: only for digest (4-way) login. */
  sealedPassword?: Sealed;
  createdAt: number;
}

const userKey = (id: string) => ["user", id];

export class UserRepo {
  constructor(private readonly store: Store) {}

  get(id: string): Promise<UserRecord | undefined> {
    return this.store.get<UserRecord>(userKey(id));
  }

  /** Creates the user; false if it already exists. */
  async create(user: UserRecord): Promise<boolean> {
    const result = await this.store.kv.atomic().check({ key: userKey(user.id), versionstamp: null })
      .set(userKey(user.id), user).commit();
    return result.ok;
  }

  put(user: UserRecord): Promise<void> {
    return this.store.write(set(userKey(user.id), user));
  }

  delete(id: string): Promise<void> {
    return this.store.write(del(userKey(id)));
  }

  async list(): Promise<UserRecord[]> {
    return (await this.store.list<UserRecord>(["user"])).map((e) => e.value);
  }
}
