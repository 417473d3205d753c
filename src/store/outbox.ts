/**
 * Server-originated transactions waiting for a session: PresenceNotification, DeliveryReport, ... .
 * Each entry is keyed by a sortable sequence, which is also the TransactionID the client sees, so
 * the client's acknowledgement finds its entry without an index. Services that keep such
 * transactions in records of their own (the IM mailbox) hand them out beside the queue as feeds.
 */
import { sortableId } from "../util/ids.ts";
import { check, CommitConflict, del, type Mutation, set, type Store } from "./kv.ts";
import { RangeViews } from "./range_views.ts";
import type { StoredElement } from "./sessions.ts";

/** A queued primitive: its element name and content (the codec's `Primitive`). */
export interface StoredPrimitive {
  name: string;
  body: StoredElement;
}

export interface OutboxEntry {
  /** Sequence and TransactionID. */
  seq: string;
  primitive: StoredPrimitive;
  createdAt: number;
  /** Entries with the same key replace each other while unsent (latest state wins). */
  coalesceKey?: string;
  /** Names the service that wants to hear about the client's acknowledgement. */
  ackHandler?: string;
  /** Whatever that service needs to act on the acknowledgement. */
  ackData?: unknown;
}

export type NewOutboxEntry = Omit<OutboxEntry, "seq" | "createdAt">;

/** An entry the client is about to acknowledge, and the mutations that take it off the queue. */
export interface Acknowledgement {
  entry: OutboxEntry;
  /** Hold only while the entry is as it was handed out: one replaced meanwhile stays queued. */
  mutations: Mutation[];
}

/**
 * An entry handed out, as kept in KV on a store in shared mode: the session's next poll may
 * reach another instance, which must not hand it out again before RESEND_AFTER_MS, nor ever
 * once it is acknowledged (an announced message stays in its mailbox until fetched). Deleted
 * with its queue entry, else left to expire.
 */
interface SharedMark {
  at: number;
  /** The queue entry's version handed out; absent for a feed's entry. */
  versionstamp?: string;
  acknowledged?: true;
}

/** How long a mark outlives its hand-out at most (the feeds' entries' marks expire). */
const MARK_KEPT_MS = 24 * 3600_000;

/** An entry handed to the client and not acknowledged yet: when, and which version of it. */
interface HandedOut {
  at: number;
  versionstamp: string;
  entry: OutboxEntry;
}

const entryKey = (sessionId: string, seq: string) => ["outbox", sessionId, seq];
/** A hand-out to the session, in shared mode (see `SharedMark`). */
const markKey = (sessionId: string, seq: string) => ["outbox_handed", sessionId, seq];
const coalesceKeyOf = (sessionId: string, key: string) => ["outbox_key", sessionId, key];

/** A TransactionID this outbox could have issued (letters and digits, fixed width). */
const SEQ_RE = /^[0-9a-f]{22}$/;

/** How long an unacknowledged entry waits before it is handed out again. */
export const RESEND_AFTER_MS = 30_000;
/** How many entries of one session a look reads, and a view in memory holds, at most. */
const SCAN_LIMIT = 64;
/** How long a view of a session's queue is believed complete without reading it again: bounds
 * what a writer outside this process (on a shared KV) could leave unannounced. */
const VIEW_BELIEVED_MS = 2_000;
const MAX_VIEWS = 100_000;

/**
 * Server-originated transactions a service keeps in its own records rather than in a session's
 * queue (the IM mailbox: a message belongs to its user, not to one session). Polls hand out its
 * entries beside the queue's, in sequence order, and the client acknowledges them alike; an
 * acknowledgement writes nothing to the queue: the entry's AckModule settles it.
 */
export interface OutboxFeed {
  /** Entries due for the session (never handed out, or not acknowledged in time), in sequence
   * order, at most `limit`. */
  due(sessionId: string, now: number, limit: number): Promise<OutboxEntry[]>;
  /** Takes a due entry as handed out now; false when a poll at the same time took it first. */
  take(sessionId: string, entry: OutboxEntry, now: number): boolean;
  /** The entry the client acknowledges with `transactionId`, now settled; undefined when it is
   * not one of this feed's, or was acknowledged already. */
  acknowledge(sessionId: string, transactionId: string): Promise<OutboxEntry | undefined>;
  /** True when the feed surely has nothing for the session, known from memory alone; false when
   * it would have to look (an answer's Poll flag then asks `due`). */
  idle(sessionId: string, now: number): boolean;
  /** Tells `listener` of each user for whose sessions a commit made something new to hand out. */
  onWaiting?(listener: (userId: string) => void): void;
}

/** Told, after each commit, of a session (its queue) or a user (a feed's records, for each of
 * the user's sessions) that got something new to hand out: the same following of the commits
 * that keeps the Poll flag, so a wake-up costs no look at the store. */
export type WaitingListener = (owner: "session" | "user", id: string) => void;

/** The sessions a transport wakes: whether it has a session, and the ones it has of a user
 * (undefined: none). */
export interface FollowedSessions {
  has(sessionId: string): boolean;
  ofUser(userId: string): Iterable<string> | undefined;
}

/** What a poll takes: the entries, and whether more were due than it could take. */
export interface HandOut {
  entries: OutboxEntry[];
  more: boolean;
}

/** A due entry and where it comes from: the session's queue (with the version handed out) or a
 * feed. */
type Due = { entry: OutboxEntry; versionstamp: string; feed?: undefined } | {
  entry: OutboxEntry;
  feed: OutboxFeed;
};

const bySeq = (a: Due, b: Due) =>
  a.entry.seq < b.entry.seq ? -1 : a.entry.seq > b.entry.seq ? 1 : 0;

export class OutboxRepo {
  /**
   * Entries handed out and not yet acknowledged, per session. Kept in memory, not written: a
   * poll costs no commit. After a restart they are handed out again at once rather than after
   * RESEND_AFTER_MS, which only repeats what was never acknowledged. Follows the commits: an
   * entry removed from KV leaves this map too.
   */
  readonly #handedOut = new Map<string, Map<string, HandedOut>>();
  /** Each polled session's queue, kept in step with every commit made here. */
  readonly #queues: RangeViews<OutboxEntry>;
  readonly #feeds: OutboxFeed[] = [];
  readonly #waiting: WaitingListener[] = [];

  constructor(private readonly store: Store) {
    this.#queues = new RangeViews(store, ["outbox"], {
      limit: SCAN_LIMIT,
      believedMs: VIEW_BELIEVED_MS,
      maxViews: MAX_VIEWS,
      onSet: (sessionId) => this.#announce("session", sessionId),
    });
    store.commits.onCommit((mutations) => this.#follow(mutations));
  }

  /** Hands out `feed`'s entries too, from now on. */
  addFeed(feed: OutboxFeed): void {
    this.#feeds.push(feed);
    feed.onWaiting?.((userId) => this.#announce("user", userId));
  }

  /** Tells `listener` of every session or user that gets something new to hand out. */
  onWaiting(listener: WaitingListener): void {
    this.#waiting.push(listener);
  }

  /**
   * Tells `wake` of the `followed` sessions that got something new, gathered until the commit's
   * listeners are done: one call per batch, each session in it once.
   */
  onWaitingSessions(followed: FollowedSessions, wake: (sessionIds: Set<string>) => void): void {
    let sessions = new Set<string>();
    let users = new Set<string>();
    let armed = false;
    const flush = () => {
      armed = false;
      const due = sessions;
      for (const user of users) for (const id of followed.ofUser(user) ?? []) due.add(id);
      sessions = new Set();
      users = new Set();
      wake(due);
    };
    this.onWaiting((owner, id) => {
      if (owner === "session" ? !followed.has(id) : followed.ofUser(id) === undefined) return;
      (owner === "session" ? sessions : users).add(id);
      if (!armed) {
        armed = true;
        queueMicrotask(flush);
      }
    });
  }

  #announce(owner: "session" | "user", id: string): void {
    for (const listener of this.#waiting) listener(owner, id);
  }

  #follow(mutations: readonly Mutation[]): void {
    for (const m of mutations) {
      if (m.type !== "delete" || m.key[0] !== "outbox") continue;
      const sessionId = String(m.key[1]);
      const handed = this.#handedOut.get(sessionId);
      handed?.delete(String(m.key[2]));
      if (handed?.size === 0) this.#handedOut.delete(sessionId);
    }
  }

  /** Mutations that queue `entry` for the session, replacing an unsent entry with the same
   * coalesce key. Returned rather than written, so callers commit them with their own writes. */
  async enqueueMutations(sessionId: string, entry: NewOutboxEntry): Promise<Mutation[]> {
    return await this.enqueueManyMutations([{ sessionId, entry }]);
  }

  /**
   * Like enqueueMutations for many sessions at once (a presence update fanned out to every
   * watcher): the coalesce links and the entries they point at are read in batches, not one
   * read per session.
   */
  async enqueueManyMutations(
    items: readonly { sessionId: string; entry: NewOutboxEntry }[],
  ): Promise<Mutation[]> {
    const now = Date.now();
    const coalescing = items.filter((item) => item.entry.coalesceKey !== undefined);
    const links = await this.store.getMany<string>(
      coalescing.map((item) => coalesceKeyOf(item.sessionId, item.entry.coalesceKey!)),
    );
    const linked = coalescing.map((item, i) => ({ item, seq: links[i] }))
      .filter((l): l is { item: typeof l.item; seq: string } => l.seq !== undefined);
    const existing = await this.store.getMany<OutboxEntry>(
      linked.map((l) => entryKey(l.item.sessionId, l.seq)),
    );
    const replaceable = new Map<(typeof items)[number], OutboxEntry>();
    linked.forEach((l, i) => {
      const entry = existing[i];
      const handed = this.#handedOut.get(l.item.sessionId)?.has(l.seq);
      if (entry && !handed) replaceable.set(l.item, entry);
    });
    const mutations: Mutation[] = [];
    for (const item of items) {
      const { sessionId, entry } = item;
      const unsent = replaceable.get(item);
      if (unsent) {
        mutations.push(
          set(entryKey(sessionId, unsent.seq), {
            ...unsent,
            ...entry,
            seq: unsent.seq,
            createdAt: now,
          }),
        );
        continue;
      }
      const seq = sortableId();
      mutations.push(set(entryKey(sessionId, seq), { ...entry, seq, createdAt: now }));
      if (entry.coalesceKey) mutations.push(set(coalesceKeyOf(sessionId, entry.coalesceKey), seq));
    }
    return mutations;
  }

  async enqueue(sessionId: string, entry: NewOutboxEntry): Promise<void> {
    await this.store.write(...await this.enqueueMutations(sessionId, entry));
  }

  /** Entries the client should receive now: never handed out, or handed out and not
   * acknowledged in time. */
  async deliverable(sessionId: string, now: number, limit: number): Promise<OutboxEntry[]> {
    return (await this.#due(sessionId, now, limit)).map((d) => d.entry);
  }

  async hasDeliverable(sessionId: string, now: number): Promise<boolean> {
    // Most answers go to sessions with nothing waiting at all: known without a look.
    const queue = this.#queues.known(sessionId, now);
    if (queue?.size === 0 && this.#feeds.every((feed) => feed.idle(sessionId, now))) return false;
    return (await this.#due(sessionId, now, 1)).length > 0;
  }

  /** Like deliverable, and takes them as handed out now (a poll): they wait for the client's
   * acknowledgement, and are due again if it does not come within RESEND_AFTER_MS. `more` says
   * whether anything due was left, which is the Poll flag of the poll's answer. */
  async handOut(sessionId: string, now: number, limit: number): Promise<HandOut> {
    const taken: Due[] = [];
    const dues = await this.#due(sessionId, now, limit + 1);
    const more = dues.length > limit;
    if (more) dues.pop();
    // Checked again and taken in one step, so two polls at once never hand out the same entry.
    for (const due of dues) {
      if (due.feed) {
        if (due.feed.take(sessionId, due.entry, now)) taken.push(due);
      } else if (this.#isDue(sessionId, due.entry.seq, due.versionstamp, now)) {
        this.#take(sessionId, { at: now, versionstamp: due.versionstamp, entry: due.entry });
        taken.push(due);
      }
    }
    if (!this.store.exclusive && taken.length > 0) {
      await this.store.write(...taken.map((due) =>
        mark(sessionId, due.entry.seq, {
          at: now,
          versionstamp: due.feed ? undefined : due.versionstamp,
        })
      ));
    }
    return { entries: taken.map((due) => due.entry), more };
  }

  /** The queue's due entries and the feeds', merged in sequence order, at most `limit`. In
   * shared mode, less those another instance handed out (or saw acknowledged). */
  async #due(sessionId: string, now: number, limit: number): Promise<Due[]> {
    const marks = this.store.exclusive ? undefined : await this.#marks(sessionId);
    const markedDue = (seq: string, versionstamp?: string) => {
      const marked = marks?.get(seq);
      if (!marked) return true;
      if (marked.acknowledged) return false;
      return marked.versionstamp !== versionstamp || now - marked.at >= RESEND_AFTER_MS;
    };
    const queued: Due[] = [];
    for (const [seq, { value, versionstamp }] of await this.#queues.entries(sessionId, now)) {
      if (queued.length >= limit) break;
      if (this.#isDue(sessionId, seq, versionstamp, now) && markedDue(seq, versionstamp)) {
        queued.push({ entry: value, versionstamp });
      }
    }
    if (this.#feeds.length === 0) return queued;
    // Enough of each feed's that those marked as handed out still leave `limit`.
    const asked = limit + (marks?.size ?? 0);
    const fed = await Promise.all(
      this.#feeds.map(async (feed) =>
        (await feed.due(sessionId, now, asked)).filter((entry) => markedDue(entry.seq))
          .map((entry): Due => ({ entry, feed }))
      ),
    );
    return [...queued, ...fed.flat()].sort(bySeq).slice(0, limit);
  }

  /** What instances sharing the store handed out to the session (shared mode). */
  async #marks(sessionId: string): Promise<Map<string, SharedMark>> {
    const marks = new Map<string, SharedMark>();
    for (const { key, value } of await this.store.list<SharedMark>(["outbox_handed", sessionId])) {
      marks.set(String(key[2]), value);
    }
    return marks;
  }

  #isDue(sessionId: string, seq: string, versionstamp: string, now: number): boolean {
    const handed = this.#handedOut.get(sessionId)?.get(seq);
    return handed?.versionstamp !== versionstamp || now - handed.at >= RESEND_AFTER_MS;
  }

  #take(sessionId: string, handed: HandedOut): void {
    let session = this.#handedOut.get(sessionId);
    if (!session) this.#handedOut.set(sessionId, session = new Map());
    session.set(handed.entry.seq, handed);
  }

  /**
   * What the client's acknowledgement of `transactionId` takes off the queue, for the caller to
   * commit (with whatever the acknowledgement itself changes); undefined if no such entry waits.
   */
  async acknowledgement(
    sessionId: string,
    transactionId: string,
  ): Promise<Acknowledgement | undefined> {
    if (!SEQ_RE.test(transactionId)) return undefined;
    const key = entryKey(sessionId, transactionId);
    let handed = this.#handedOut.get(sessionId)?.get(transactionId);
    if (!handed) {
      for (const feed of this.#feeds) {
        const entry = await feed.acknowledge(sessionId, transactionId);
        if (!entry) continue;
        // Never again, whichever instance the session polls next.
        const marks = this.store.exclusive
          ? []
          : [mark(sessionId, transactionId, { at: Date.now(), acknowledged: true })];
        return { entry, mutations: marks };
      }
      // Not handed out by this process (it restarted since, or another instance did): read it
      // back.
      const [stored, marked] = await Promise.all([
        this.store.getEntry<OutboxEntry>(key),
        this.store.exclusive
          ? undefined
          : this.store.get<SharedMark>(markKey(sessionId, transactionId)),
      ]);
      if (!stored) return undefined;
      // Replaced by a newer version (a coalesced notification) since another instance handed
      // this one out: the client acknowledged the older, and the newer stays due.
      if (marked?.versionstamp !== undefined && marked.versionstamp !== stored.versionstamp) {
        // What the newer presents is not settled by it (no AckModule runs).
        const older = { ...stored.value, ackHandler: undefined, ackData: undefined };
        return { entry: older, mutations: [del(markKey(sessionId, transactionId))] };
      }
      handed = { at: 0, versionstamp: stored.versionstamp, entry: stored.value };
    }
    const { entry } = handed;
    const mutations = [check(key, handed.versionstamp), del(key)];
    if (!this.store.exclusive) mutations.push(del(markKey(sessionId, transactionId)));
    if (entry.coalesceKey) {
      // A newer entry may have taken over the key while this one was in flight: keep its link.
      const link = coalesceKeyOf(sessionId, entry.coalesceKey);
      if (await this.store.get<string>(link) === entry.seq) mutations.push(del(link));
    }
    return { entry, mutations };
  }

  /**
   * The mutations that forget the hand-out of `seq` to the session (shared mode), for an
   * acknowledgement whose commit also ends what the entry presents (a delivered message leaving
   * its mailbox): nothing can hand it out again, and a mark kept would be read by every later
   * poll of the session until it expires.
   */
  forgetHandOut(sessionId: string, seq: string): Mutation[] {
    return this.store.exclusive ? [] : [del(markKey(sessionId, seq))];
  }

  /** Removes the entry the client acknowledged; undefined if no such entry is waiting. */
  async ack(sessionId: string, transactionId: string): Promise<OutboxEntry | undefined> {
    const taken = await this.acknowledgement(sessionId, transactionId);
    if (!taken) return undefined;
    try {
      await this.store.write(...taken.mutations);
    } catch (error) {
      if (error instanceof CommitConflict) return undefined;
      throw error;
    }
    return taken.entry;
  }

  /**
   * Whether the session's queue holds fewer than `size` entries: known from its view while the
   * queue is short, read (its first `size` entries) when it is long.
   */
  async hasRoom(sessionId: string, size: number): Promise<boolean> {
    const queue = await this.#queues.entries(sessionId, Date.now());
    if (queue.size <= SCAN_LIMIT) return queue.size < size;
    return (await this.store.list(["outbox", sessionId], { limit: size })).length < size;
  }

  /** Everything still queued for a session, oldest first (used when the session ends). */
  /** Entries waiting over all sessions (a whole scan: for metrics, now and then). */
  async depth(): Promise<number> {
    return (await this.store.count(["outbox"])).get("") ?? 0;
  }

  async all(sessionId: string): Promise<OutboxEntry[]> {
    return (await this.store.list<OutboxEntry>(["outbox", sessionId])).map((e) => e.value);
  }

  /** Mutations that take these entries off a session's queue. */
  removalMutations(sessionId: string, seqs: readonly string[]): Mutation[] {
    return seqs.map((seq) => del(entryKey(sessionId, seq)));
  }

  /** Mutations that empty a session's queue (it ended); its marks in memory go at once. */
  async clearMutations(sessionId: string): Promise<Mutation[]> {
    this.#handedOut.delete(sessionId);
    this.#queues.forget(sessionId);
    const mutations: Mutation[] = [];
    for (const e of await this.store.list<OutboxEntry>(["outbox", sessionId])) {
      mutations.push(del(e.key));
    }
    for (const e of await this.store.list<string>(["outbox_key", sessionId])) {
      mutations.push(del(e.key));
    }
    if (!this.store.exclusive) {
      for (const e of await this.store.list(["outbox_handed", sessionId])) {
        mutations.push(del(e.key));
      }
    }
    return mutations;
  }

  /**
   * Mutations that queue one entry per item, all under one new sequence (returned), each deleting
   * the entry it `replaces` (a sequence the caller kept from an earlier call), and reading
   * nothing: coalescing for a caller that remembers its own last entry per session (presence
   * keeps it with each watcher session), where enqueueManyMutations reads a coalesce link per
   * session. A replaced entry already handed out is gone when its acknowledgement comes, and
   * its successor is delivered. Entries given here should carry no coalesceKey.
   */
  replaceManyMutations(
    items: readonly { sessionId: string; entry: NewOutboxEntry; replaces?: string }[],
  ): { seq: string; mutations: Mutation[] } {
    const seq = sortableId();
    const createdAt = Date.now();
    const stored = new Map<NewOutboxEntry, OutboxEntry>();
    const mutations: Mutation[] = [];
    for (const { sessionId, entry, replaces } of items) {
      let value = stored.get(entry);
      if (!value) stored.set(entry, value = { ...entry, seq, createdAt });
      if (replaces !== undefined) mutations.push(del(entryKey(sessionId, replaces)));
      mutations.push(set(entryKey(sessionId, seq), value));
    }
    return { seq, mutations };
  }
}

/** The mutation that keeps a hand-out's mark (shared mode). */
const mark = (sessionId: string, seq: string, value: SharedMark): Mutation => ({
  type: "set",
  key: markKey(sessionId, seq),
  value,
  expireIn: MARK_KEPT_MS,
});
