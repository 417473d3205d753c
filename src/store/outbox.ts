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
/** How far a poll looks past entries still waiting for their acknowledgement. */
const SCAN_LIMIT = 64;

export class OutboxRepo {
  constructor(private readonly store: Store) {}

  /** Mutations that queue `entry` for the session, replacing an unsent entry with the same
   * coalesce key. Returned rather than written, so callers commit them with their own writes. */
  async enqueueMutations(sessionId: string, entry: NewOutboxEntry): Promise<Mutation[]> {
    const now = Date.now();
    if (entry.coalesceKey) {
      const seq = await this.store.get<string>(coalesceKeyOf(sessionId, entry.coalesceKey));
      if (seq) {
        const existing = await this.store.get<OutboxEntry>(entryKey(sessionId, seq));
        if (existing && existing.sentAt === undefined) {
          return [set(entryKey(sessionId, seq), { ...existing, ...entry, seq, createdAt: now })];
        }
      }
    }
    const seq = sortableId();
    const mutations = [set(entryKey(sessionId, seq), { ...entry, seq, createdAt: now })];
    if (entry.coalesceKey) mutations.push(set(coalesceKeyOf(sessionId, entry.coalesceKey), seq));
    return mutations;
  }

  async enqueue(sessionId: string, entry: NewOutboxEntry): Promise<void> {
    await this.store.write(...await this.enqueueMutations(sessionId, entry));
  }

  /** Entries the client should receive now: never sent, or sent and not acknowledged in time. */
  async deliverable(sessionId: string, now: number, limit: number): Promise<OutboxEntry[]> {
    const entries = await this.store.list<OutboxEntry>(["outbox", sessionId], {
      limit: SCAN_LIMIT,
    });
    return entries.map((e) => e.value)
      .filter((e) => e.sentAt === undefined || now - e.sentAt >= RESEND_AFTER_MS)
      .slice(0, limit);
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
