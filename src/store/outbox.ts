/**
 * Server-originated transactions waiting for a session: PresenceNotification, NewMessage, ... .
 * Each entry is keyed by a sortable sequence, which is also the TransactionID the client sees, so
 * the client's acknowledgement finds its entry without an index.
 */
import type { Primitive } from "../codec/csp/message.ts";
import { sortableId } from "../util/ids.ts";
import { check, CommitConflict, del, type Mutation, set, type Store } from "./kv.ts";

export interface OutboxEntry {
  /** Sequence and TransactionID. */
  seq: string;
  primitive: Primitive;
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

/** An entry handed to the client and not acknowledged yet: when, and which version of it. */
interface HandedOut {
  at: number;
  versionstamp: string;
  entry: OutboxEntry;
}

const entryKey = (sessionId: string, seq: string) => ["outbox", sessionId, seq];
const coalesceKeyOf = (sessionId: string, key: string) => ["outbox_key", sessionId, key];

/** A TransactionID this outbox could have issued (letters and digits, fixed width). */
const SEQ_RE = /^[0-9a-f]{22}$/;

/** How long an unacknowledged entry waits before it is handed out again. */
export const RESEND_AFTER_MS = 30_000;
/** Deno KV answers at most this many keys in one getMany. */
const GET_MANY_LIMIT = 10;
/** How many entries of one session a look reads, and a view in memory holds, at most. */
const SCAN_LIMIT = 64;
/** How long a view of a session's queue is believed complete without reading it again: bounds
 * what a writer outside this process (on a shared KV) could leave unannounced. */
const VIEW_BELIEVED_MS = 2_000;
const MAX_VIEWS = 100_000;

/** An entry as stored, with the versionstamp of the commit that wrote it. */
interface Stored {
  entry: OutboxEntry;
  versionstamp: string;
}

/** A session's whole queue as this process knows it: read once, then kept by the commits. */
interface View {
  /** Believed complete until then. */
  until: number;
  /** By sequence; `ordered` false when one was added out of sequence order. */
  entries: Map<string, Stored>;
  ordered: boolean;
  /** The greatest sequence added. */
  last: string;
}

export class OutboxRepo {
  /**
   * Entries handed out and not yet acknowledged, per session. Kept in memory, not written: a
   * poll costs no commit. After a restart they are handed out again at once rather than after
   * RESEND_AFTER_MS, which only repeats what was never acknowledged. Follows the commits: an
   * entry removed from KV leaves this map too.
   */
  readonly #handedOut = new Map<string, Map<string, HandedOut>>();
  /**
   * Each polled session's queue, kept in step with every commit made here: a poll, and the Poll
   * flag of every answer, read no KV while it is believed complete. A queue longer than
   * SCAN_LIMIT is not kept (it is read at each look, its first SCAN_LIMIT entries).
   */
  readonly #views = new Map<string, View>();
  /** Reads of a session's queue in flight, and the commits for it that landed meanwhile (the
   * read may or may not include them: they are applied on top). */
  readonly #loading = new Map<
    string,
    { done: Promise<View>; landed: { m: Mutation; versionstamp: string }[] }
  >();

  constructor(private readonly store: Store) {
    store.commits.onCommit((mutations, versionstamp) => this.#follow(mutations, versionstamp));
  }

  #follow(mutations: readonly Mutation[], versionstamp: string): void {
    for (const m of mutations) {
      if (m.key[0] !== "outbox") continue;
      const sessionId = String(m.key[1]);
      this.#loading.get(sessionId)?.landed.push({ m, versionstamp });
      const view = this.#views.get(sessionId);
      if (view) applyTo(view, m, versionstamp);
      if (m.type === "delete") {
        const handed = this.#handedOut.get(sessionId);
        handed?.delete(String(m.key[2]));
        if (handed?.size === 0) this.#handedOut.delete(sessionId);
      }
      // Too long to keep in memory: read at each look instead.
      if (view && view.entries.size > SCAN_LIMIT) this.#views.delete(sessionId);
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
    const links = await this.#getMany<string>(
      coalescing.map((item) => coalesceKeyOf(item.sessionId, item.entry.coalesceKey!)),
    );
    const linked = coalescing.map((item, i) => ({ item, seq: links[i] }))
      .filter((l): l is { item: typeof l.item; seq: string } => l.seq !== undefined);
    const existing = await this.#getMany<OutboxEntry>(
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

  /** Reads many keys, `GET_MANY_LIMIT` per KV call, all calls in flight together. */
  async #getMany<T>(keys: Deno.KvKey[]): Promise<(T | undefined)[]> {
    const chunks: Deno.KvKey[][] = [];
    for (let i = 0; i < keys.length; i += GET_MANY_LIMIT) {
      chunks.push(keys.slice(i, i + GET_MANY_LIMIT));
    }
    const results = await Promise.all(chunks.map((chunk) => this.store.reader.getMany<T[]>(chunk)));
    return results.flat().map((e) => (e.value ?? undefined) as T | undefined);
  }

  async enqueue(sessionId: string, entry: NewOutboxEntry): Promise<void> {
    await this.store.write(...await this.enqueueMutations(sessionId, entry));
  }

  /** Entries the client should receive now: never handed out, or handed out and not
   * acknowledged in time. */
  async deliverable(sessionId: string, now: number, limit: number): Promise<OutboxEntry[]> {
    return await this.#look(sessionId, now, limit, false);
  }

  async hasDeliverable(sessionId: string, now: number): Promise<boolean> {
    return (await this.deliverable(sessionId, now, 1)).length > 0;
  }

  /** Like deliverable, and takes them as handed out now (a poll): they wait for the client's
   * acknowledgement, and are due again if it does not come within RESEND_AFTER_MS. */
  async handOut(sessionId: string, now: number, limit: number): Promise<OutboxEntry[]> {
    return await this.#look(sessionId, now, limit, true);
  }

  async #look(sessionId: string, now: number, limit: number, take: boolean) {
    let view = this.#views.get(sessionId);
    if (!view || now >= view.until) view = await this.#load(sessionId, now);
    if (!view.ordered) {
      view.entries = new Map([...view.entries].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0));
      view.ordered = true;
    }
    const found: OutboxEntry[] = [];
    const handedOut = this.#handedOut.get(sessionId);
    for (const { entry, versionstamp } of view.entries.values()) {
      if (found.length >= limit) break;
      // Checked and taken in one step, so two polls at once never hand out the same entry.
      const handed = handedOut?.get(entry.seq);
      if (handed?.versionstamp === versionstamp && now - handed.at < RESEND_AFTER_MS) continue;
      found.push(entry);
      if (take) this.#take(sessionId, { at: now, versionstamp, entry });
    }
    return found;
  }

  /** Reads a session's queue (its first SCAN_LIMIT entries), kept as its view when that is all
   * of it. Looks at once share one read. */
  #load(sessionId: string, now: number): Promise<View> {
    const loading = this.#loading.get(sessionId);
    if (loading) return loading.done;
    const landed: { m: Mutation; versionstamp: string }[] = [];
    const done = (async () => {
      const entries = new Map<string, Stored>();
      try {
        const listed = this.store.reader.list<OutboxEntry>({ prefix: ["outbox", sessionId] }, {
          limit: SCAN_LIMIT + 1,
          batchSize: SCAN_LIMIT + 1,
        });
        for await (const { value, versionstamp } of listed) {
          entries.set(value.seq, { entry: value, versionstamp });
        }
      } finally {
        this.#loading.delete(sessionId);
      }
      const last = [...entries.keys()].at(-1) ?? "";
      const view: View = { until: now + VIEW_BELIEVED_MS, entries, ordered: true, last };
      for (const { m, versionstamp } of landed) applyTo(view, m, versionstamp);
      if (entries.size <= SCAN_LIMIT) {
        // Only a cache: when too many sessions are kept, start over rather than grow.
        if (this.#views.size >= MAX_VIEWS) this.#views.clear();
        this.#views.set(sessionId, view);
      } else this.#views.delete(sessionId);
      return view;
    })();
    this.#loading.set(sessionId, { done, landed });
    return done;
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
      // Not handed out by this process (it restarted since): read it back.
      const stored = await this.store.reader.get<OutboxEntry>(key);
      if (!stored.value || !stored.versionstamp) return undefined;
      handed = { at: 0, versionstamp: stored.versionstamp, entry: stored.value };
    }
    const { entry } = handed;
    const mutations = [check(key, handed.versionstamp), del(key)];
    if (entry.coalesceKey) {
      // A newer entry may have taken over the key while this one was in flight: keep its link.
      const link = coalesceKeyOf(sessionId, entry.coalesceKey);
      if (await this.store.get<string>(link) === entry.seq) mutations.push(del(link));
    }
    return { entry, mutations };
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

  /** Everything still queued for a session, oldest first (used when the session ends). */
  async all(sessionId: string): Promise<OutboxEntry[]> {
    return (await this.store.list<OutboxEntry>(["outbox", sessionId])).map((e) => e.value);
  }

  /** Mutations that empty a session's queue (it ended); its marks in memory go at once. */
  async clearMutations(sessionId: string): Promise<Mutation[]> {
    this.#handedOut.delete(sessionId);
    this.#views.delete(sessionId);
    const mutations: Mutation[] = [];
    for (const e of await this.store.list<OutboxEntry>(["outbox", sessionId])) {
      mutations.push(del(e.key));
    }
    for (const e of await this.store.list<string>(["outbox_key", sessionId])) {
      mutations.push(del(e.key));
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

/** A committed mutation of a session's queue, applied to its view. */
function applyTo(view: View, m: Mutation, versionstamp: string): void {
  const seq = String(m.key[2]);
  if (m.type === "delete") view.entries.delete(seq);
  else if (m.type === "set") {
    if (seq > view.last) view.last = seq;
    else if (!view.entries.has(seq)) view.ordered = false;
    view.entries.set(seq, { entry: m.value as OutboxEntry, versionstamp });
  }
}
