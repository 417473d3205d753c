/**
 * How many messages and bytes wait in each user's mailbox, in all and from each sender, for its
 * bounds (IMPS_MAILBOX_SIZE, IMPS_MAILBOX_BYTES, IMPS_MAILBOX_SENDER_SHARE), asked at every
 * send. On a KV shared by several instances it is a counter in KV, changed in the commit
 * that stores or takes out a message. On a store this process serves alone it is kept in memory:
 * each user's waiting ids are read once from the mailbox, then follow the commits made here, which
 * spares two writes per message.
 */
import { add, type Mutation, type Store } from "../../store/kv.ts";
import { RangeViews } from "../../store/range_views.ts";
import { RECENT_MS } from "./limits.ts";
import type { MailboxUse } from "./storage.ts";

/** What the counts need of a message. */
export type Counted = { recipient: string; sender: string; size: number };

export interface WaitingCounts {
  /** Messages counted in the user's mailbox (expired ones included until they are dropped). */
  count(user: string): Promise<number>;
  use(user: string, sender: string): Promise<MailboxUse>;
  /** What to commit with a message stored in (1) or taken out of (-1) its recipient's mailbox. */
  change(message: Counted, by: 1 | -1): Mutation[];
}

/** Where a user's waiting messages are: `[...PENDING, user, messageId]`. */
export const PENDING = ["im", "pending"] as const;

/** A user's counters in KV, for a store shared with other instances: in all, and by sender. */
const countKey = (user: string) => ["im", "count", user];
const bytesKey = (user: string) => ["im", "bytes", user];
const senderCountKey = (user: string, sender: string) => ["im", "count_from", user, sender];
const senderBytesKey = (user: string, sender: string) => ["im", "bytes_from", user, sender];

export class StoredCounts implements WaitingCounts {
  constructor(private readonly store: Store) {}

  async #counter(key: Deno.KvKey): Promise<number> {
    const counter = await this.store.getRecent<Deno.KvU64>(key, RECENT_MS);
    if (!counter) return 0;
    // Below zero wraps around: messages stored before a counter existed (an earlier version kept
    // no bytes or senders) are taken off it when they leave. Counted as none.
    return counter.value >= 1n << 63n ? 0 : Number(counter.value);
  }

  count(user: string): Promise<number> {
    return this.#counter(countKey(user));
  }

  async use(user: string, sender: string): Promise<MailboxUse> {
    const [messages, bytes, fromSender, bytesFromSender] = await Promise.all([
      countKey(user),
      bytesKey(user),
      senderCountKey(user, sender),
      senderBytesKey(user, sender),
    ].map((key) => this.#counter(key)));
    return { messages, bytes, fromSender: { messages: fromSender, bytes: bytesFromSender } };
  }

  change({ recipient, sender, size }: Counted, by: 1 | -1): Mutation[] {
    return [
      add(countKey(recipient), by),
      add(bytesKey(recipient), by * size),
      add(senderCountKey(recipient, sender), by),
      add(senderBytesKey(recipient, sender), by * size),
    ];
  }
}

/** Users whose waiting ids are kept at most: beyond, the memory starts over rather than grow. */
const MAX_USERS = 200_000;

/** Counts for a store this process serves alone: the waiting ids of each user asked about, with
 * each message's sender and size, read once and kept by the commits (nothing else is kept). */
export class TrackedCounts implements WaitingCounts {
  readonly #waiting: RangeViews<{ sender: string; size: number }>;

  constructor(store: Store) {
    this.#waiting = new RangeViews(store, PENDING, {
      limit: Infinity,
      believedMs: Infinity,
      maxViews: MAX_USERS,
      keep: (value) => {
        const { sender, size } = value as Counted;
        return { sender, size };
      },
    });
  }

  async count(user: string): Promise<number> {
    return (await this.#waiting.entries(user, Date.now())).size;
  }

  async use(user: string, sender: string): Promise<MailboxUse> {
    const use: MailboxUse = { messages: 0, bytes: 0, fromSender: { messages: 0, bytes: 0 } };
    for (const { value } of (await this.#waiting.entries(user, Date.now())).values()) {
      use.messages++;
      use.bytes += value.size;
      if (value.sender === sender) {
        use.fromSender.messages++;
        use.fromSender.bytes += value.size;
      }
    }
    return use;
  }

  change(): Mutation[] {
    return [];
  }
}
