/**
 * How many messages wait in each user's mailbox, for its bound (IMPS_MAILBOX_SIZE), asked at
 * every send. On a KV shared by several instances it is a counter in KV, changed in the commit
 * that stores or takes out a message. On a store this process serves alone it is kept in memory:
 * each user's waiting ids are read once from the mailbox, then follow the commits made here, which
 * spares two writes per message.
 */
import { add, type Mutation, type Store } from "../../store/kv.ts";
import { RECENT_MS } from "./limits.ts";

export interface WaitingCounts {
  /** Messages counted in the user's mailbox (expired ones included until they are dropped). */
  count(user: string): Promise<number>;
  /** What to commit with a message stored in (1) or taken out of (-1) the user's mailbox. */
  change(user: string, by: 1 | -1): Mutation[];
}

/** Where a user's waiting messages are: `[...PENDING, user, messageId]`. */
export const PENDING = ["im", "pending"] as const;

/** A user's counter in KV, for a store shared with other instances. */
const countKey = (user: string) => ["im", "count", user];

export class StoredCounts implements WaitingCounts {
  constructor(private readonly store: Store) {}

  async count(user: string): Promise<number> {
    const counter = await this.store.getRecent<Deno.KvU64>(countKey(user), RECENT_MS);
    return counter ? Number(counter.value) : 0;
  }

  change(user: string, by: 1 | -1): Mutation[] {
    return [add(countKey(user), by)];
  }
}

/** Users whose waiting ids are kept at most: beyond, the memory starts over rather than grow. */
const MAX_USERS = 200_000;

/** Counts for a store this process serves alone: the waiting ids of each user asked about. */
export class TrackedCounts implements WaitingCounts {
  readonly #ids = new Map<string, Set<string>>();
  /** Reads in flight, and the commits for their user that landed meanwhile (the read may or may
   * not include them: they are applied on top). */
  readonly #loading = new Map<string, { done: Promise<Set<string>>; landed: Mutation[] }>();

  constructor(private readonly store: Store) {
    store.commits.onCommit((mutations) => this.#follow(mutations));
  }

  async count(user: string): Promise<number> {
    return (this.#ids.get(user) ?? await this.#load(user)).size;
  }

  change(): Mutation[] {
    return [];
  }

  #follow(mutations: readonly Mutation[]): void {
    for (const m of mutations) {
      if (m.type !== "set" && m.type !== "delete") continue;
      const { key } = m;
      if (key.length !== 4 || key[0] !== PENDING[0] || key[1] !== PENDING[1]) continue;
      const user = String(key[2]);
      this.#loading.get(user)?.landed.push(m);
      const ids = this.#ids.get(user);
      if (ids) apply(ids, m);
    }
  }

  #load(user: string): Promise<Set<string>> {
    const loading = this.#loading.get(user);
    if (loading) return loading.done;
    const landed: Mutation[] = [];
    const done = (async () => {
      const ids = new Set<string>();
      try {
        for await (const { key } of this.store.reader.list({ prefix: [...PENDING, user] })) {
          ids.add(String(key[3]));
        }
      } finally {
        this.#loading.delete(user);
      }
      for (const m of landed) apply(ids, m);
      if (this.#ids.size >= MAX_USERS) this.#ids.clear();
      this.#ids.set(user, ids);
      return ids;
    })();
    this.#loading.set(user, { done, landed });
    return done;
  }
}

function apply(ids: Set<string>, m: Mutation): void {
  if (m.type === "set") ids.add(String(m.key[3]));
  else if (m.type === "delete") ids.delete(String(m.key[3]));
}
