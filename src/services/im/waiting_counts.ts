/**
 * How many messages wait in each user's mailbox, for its bound (IMPS_MAILBOX_SIZE), asked at
 * every send. On a KV shared by several instances it is a counter in KV, changed in the commit
 * that stores or takes out a message. On a store this process serves alone it is kept in memory:
 * each user's waiting ids are read once from the mailbox, then follow the commits made here, which
 * spares two writes per message.
 */
import { add, type Mutation, type Store } from "../../store/kv.ts";
import { RangeViews } from "../../store/range_views.ts";
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

/** Counts for a store this process serves alone: the waiting ids of each user asked about, read
 * once and kept by the commits (nothing else of the messages is kept). */
export class TrackedCounts implements WaitingCounts {
  readonly #waiting: RangeViews<null>;

  constructor(store: Store) {
    this.#waiting = new RangeViews(store, PENDING, {
      limit: Infinity,
      believedMs: Infinity,
      maxViews: MAX_USERS,
      keep: () => null,
    });
  }

  async count(user: string): Promise<number> {
    return (await this.#waiting.entries(user, Date.now())).size;
  }

  change(): Mutation[] {
    return [];
  }
}
