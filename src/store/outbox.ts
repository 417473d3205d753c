/**
 * Server-originated transactions waiting for a session: PresenceNotification, NewMessage, ... .
 * Each entry is keyed by a sortable sequence, which is also the TransactionID the client sees, so
 * the client's acknowledgement finds its entry without an index.
 */
import type { Primitive } from "../codec/csp/message.ts";
import { sortableId } from "../util/ids.ts";
import { del, type Mutation, set, type Store } from "./kv.ts";

export interface OutboxEntry {
  /** Sequence and TransactionID. */
  seq: string;
  primitive: Primitive;
  createdAt: number;
  /** When it was last handed to the client; re-sent if not acknowledged in time. */
  sentAt?: number;
  /** Entries with the same key replace each other while unsent (latest state wins). */
  coalesceKey?: string;
  /** Names the service that wants to hear about the client's acknowledgement. */
  ackHandler?: string;
  /** Whatever that service needs to act on the acknowledgement. */
  ackData?: unknown;
}

export type NewOutboxEntry = Omit<OutboxEntry, "seq" | "createdAt" | "sentAt">;

const entryKey = (sessionId: string, seq: string) => ["outbox", sessionId, seq];
const coalesceKeyOf = (sessionId: string, key: string) => ["outbox_key", sessionId, key];

/** A TransactionID this outbox could have issued (letters and digits, fixed width). */
const SEQ_RE = /^[0-9a-f]{22}$/;

/** How long an unacknowledged entry waits before it is handed out again. */
export const RESEND_AFTER_MS = 30_000;
/** Deno KV answers at most this many keys in one getMany. */
const GET_MANY_LIMIT = 10;
/** How far a poll looks past entries still waiting for their acknowledgement. */
const SCAN_LIMIT = 64;

export class OutboxRepo {
  constructor(private readonly store: Store) {}

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
      if (entry && entry.sentAt === undefined) replaceable.set(l.item, entry);
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
    const results = await Promise.all(chunks.map((chunk) => this.store.kv.getMany<T[]>(chunk)));
    return results.flat().map((e) => (e.value ?? undefined) as T | undefined);
  }

  async enqueue(sessionId: string, entry: NewOutboxEntry): Promise<void> {
    await this.store.write(...await this.enqueueMutations(sessionId, entry));
  }

  /** Entries the client should receive now: never sent, or sent and not acknowledged in time. */
  async deliverable(sessionId: string, now: number, limit: number): Promise<OutboxEntry[]> {
    // Every answer to a session asks this (for Poll), so stop reading at the first `limit` found.
    const found: OutboxEntry[] = [];
    const entries = this.store.kv.list<OutboxEntry>({ prefix: ["outbox", sessionId] }, {
      limit: SCAN_LIMIT,
      batchSize: Math.max(limit, 8),
    });
    for await (const { value } of entries) {
      if (value.sentAt === undefined || now - value.sentAt >= RESEND_AFTER_MS) found.push(value);
      if (found.length >= limit) break;
    }
    return found;
  }

  async hasDeliverable(sessionId: string, now: number): Promise<boolean> {
    return (await this.deliverable(sessionId, now, 1)).length > 0;
  }

  async markSent(sessionId: string, entries: OutboxEntry[], now: number): Promise<void> {
    await this.store.write(
      ...entries.map((e) => set(entryKey(sessionId, e.seq), { ...e, sentAt: now })),
    );
  }

  /** Removes the entry the client acknowledged; undefined if no such entry is waiting. */
  async ack(sessionId: string, transactionId: string): Promise<OutboxEntry | undefined> {
    if (!SEQ_RE.test(transactionId)) return undefined;
    const entry = await this.store.get<OutboxEntry>(entryKey(sessionId, transactionId));
    if (!entry) return undefined;
    const mutations = [del(entryKey(sessionId, entry.seq))];
    if (entry.coalesceKey) {
      // A newer entry may have taken over the key while this one was in flight: keep its link.
      const key = coalesceKeyOf(sessionId, entry.coalesceKey);
      if (await this.store.get<string>(key) === entry.seq) mutations.push(del(key));
    }
    await this.store.write(...mutations);
    return entry;
  }

  /** Everything still queued for a session, oldest first (used when the session ends). */
  async all(sessionId: string): Promise<OutboxEntry[]> {
    return (await this.store.list<OutboxEntry>(["outbox", sessionId])).map((e) => e.value);
  }

  async clearMutations(sessionId: string): Promise<Mutation[]> {
    const mutations: Mutation[] = [];
    for (const e of await this.store.list<OutboxEntry>(["outbox", sessionId])) {
      mutations.push(del(e.key));
    }
    for (const e of await this.store.list<string>(["outbox_key", sessionId])) {
      mutations.push(del(e.key));
    }
    return mutations;
  }
}
