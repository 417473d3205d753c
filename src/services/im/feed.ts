/**
 * Hands each session its user's waiting messages straight from the mailbox (an OutboxFeed): a
 * message is written once, in its recipient's mailbox, and every session of the user is handed
 * it from there, pushed whole (NewMessage) or announced (MessageNotification) as that session
 * takes messages, under its MessageID as TransactionID. Nothing is queued per session, so nothing
 * is withdrawn when a message leaves the mailbox: the view of it follows the commit that took it.
 */
import { type OutboxEntry, type OutboxFeed, RESEND_AFTER_MS } from "../../store/outbox.ts";
import { type Kept, RangeViews } from "../../store/range_views.ts";
import { deliveryFor, dispose, type ImAckData, MESSAGE_ACK, pushes } from "./delivery.ts";
import type { Im } from "./element.ts";
import { type DeliveryPrefs, isMessageId } from "./storage.ts";
import type { PresentedMessage } from "./presentation.ts";
import { PENDING } from "./waiting_counts.ts";

/** How many waiting messages of one user a look reads, and memory keeps, at most. */
const VIEW_LIMIT = 64;
/** How long a kept mailbox is believed complete: bounds what another instance sharing the KV
 * could leave unseen. */
const VIEW_BELIEVED_MS = 2_000;
const MAX_VIEWS = 100_000;

/** A message handed to one session: when, which version of its record, as what entry, and
 * whether the client acknowledged it (an announced message stays in the mailbox until fetched,
 * and is not announced again). */
interface Handed {
  at: number;
  versionstamp: string;
  entry: OutboxEntry;
  acknowledged: boolean;
}

/** A waiting message as each delivery method presents it, made once per record. */
interface Presented {
  push?: OutboxEntry;
  notify?: OutboxEntry;
}

export class MailboxFeed implements OutboxFeed {
  readonly #mailboxes: RangeViews<PresentedMessage>;
  readonly #handed = new Map<string, Map<string, Handed>>();
  readonly #presented = new WeakMap<Kept<PresentedMessage>, Presented>();
  /** Which record version each entry handed to `due`'s caller presents. */
  readonly #versions = new WeakMap<OutboxEntry, string>();
  /** Per session, the removal of copies an earlier version queued (see `#dropEarlierCopies`):
   * done once per session and process. */
  readonly #swept = new Map<string, Promise<void>>();
  #waiting?: (userId: string) => void;

  constructor(private readonly im: Im) {
    this.#mailboxes = new RangeViews(im.server.store, PENDING, {
      limit: VIEW_LIMIT,
      believedMs: VIEW_BELIEVED_MS,
      maxViews: MAX_VIEWS,
      onSet: (userId) => this.#waiting?.(userId),
    });
  }

  onWaiting(listener: (userId: string) => void): void {
    this.#waiting = listener;
  }

  /** A session started by this process: nothing of an earlier version is queued to it. */
  started(sessionId: string): void {
    this.#swept.set(sessionId, Promise.resolve());
  }

  ended(sessionId: string): void {
    this.#handed.delete(sessionId);
    this.#swept.delete(sessionId);
  }

  async due(sessionId: string, now: number, limit: number): Promise<OutboxEntry[]> {
    const delivery = await this.#delivery(sessionId);
    if (!delivery) return [];
    await (this.#swept.get(sessionId) ?? this.#dropEarlierCopies(sessionId));
    const handed = this.#handed.get(sessionId);
    const waiting = await this.#mailboxes.entries(delivery.userId, now);
    const due: OutboxEntry[] = [];
    const expired: Kept<PresentedMessage>[] = [];
    for (const [id, kept] of waiting) {
      if (due.length >= limit) break;
      const message = kept.value;
      if (message.expiresAt !== undefined && message.expiresAt <= now) {
        expired.push(kept);
        continue;
      }
      if (!isDue(handed?.get(id), kept.versionstamp, now)) continue;
      const entry = await this.#present(kept, delivery.prefs);
      this.#versions.set(entry, kept.versionstamp);
      due.push(entry);
    }
    for (const waiting of expired) await dispose(this.im, waiting, 542);
    if (handed && handed.size > waiting.size) {
      // Marks of messages that left the mailbox.
      for (const id of handed.keys()) if (!waiting.has(id)) handed.delete(id);
    }
    return due;
  }

  idle(sessionId: string, now: number): boolean {
    // An empty mailbox has nothing due whatever the session's delivery preferences.
    const session = this.im.server.sessions.repo.cached(sessionId);
    return session !== undefined && this.#mailboxes.known(session.userId, now)?.size === 0;
  }

  take(sessionId: string, entry: OutboxEntry, now: number): boolean {
    const versionstamp = this.#versions.get(entry)!;
    let handed = this.#handed.get(sessionId);
    if (!isDue(handed?.get(entry.seq), versionstamp, now)) return false;
    if (!handed) this.#handed.set(sessionId, handed = new Map());
    handed.set(entry.seq, { at: now, versionstamp, entry, acknowledged: false });
    return true;
  }

  async acknowledge(sessionId: string, transactionId: string): Promise<OutboxEntry | undefined> {
    const handed = this.#handed.get(sessionId)?.get(transactionId);
    if (handed) {
      if (handed.acknowledged) return undefined;
      handed.acknowledged = true;
      return handed.entry;
    }
    // Not handed out by this process (it restarted since): the message, if it still waits, as
    // the session takes messages now.
    if (!isMessageId(transactionId)) return undefined;
    const delivery = await this.#delivery(sessionId);
    if (!delivery) return undefined;
    const waiting = await this.#mailboxes.entries(delivery.userId, Date.now());
    const kept = waiting.get(transactionId);
    if (!kept) return undefined;
    const entry = await this.#present(kept, delivery.prefs);
    let marks = this.#handed.get(sessionId);
    if (!marks) this.#handed.set(sessionId, marks = new Map());
    marks.set(transactionId, {
      at: Date.now(),
      versionstamp: kept.versionstamp,
      entry,
      acknowledged: true,
    });
    return entry;
  }

  /** The session's user and how it takes messages; undefined when it fetches them itself. */
  async #delivery(sessionId: string) {
    const session = await this.im.server.sessions.repo.get(sessionId);
    if (!session) return undefined;
    const prefs = deliveryFor(session, await this.im.mailbox.prefs(sessionId));
    return prefs && { userId: session.userId, prefs };
  }

  async #present(kept: Kept<PresentedMessage>, delivery: DeliveryPrefs): Promise<OutboxEntry> {
    let presented = this.#presented.get(kept);
    if (!presented) this.#presented.set(kept, presented = {});
    const message = kept.value;
    if (pushes(delivery, message.size)) {
      return presented.push ??= {
        seq: message.id,
        primitive: this.im.present.newMessage(message, await this.im.mailbox.content(message)),
        createdAt: message.sentAt,
        ackHandler: MESSAGE_ACK,
        ackData: {
          message: message.id,
          stored: message,
          version: kept.versionstamp,
        } satisfies ImAckData,
      };
    }
    return presented.notify ??= {
      seq: message.id,
      primitive: this.im.present.messageNotification(message),
      createdAt: message.sentAt,
      ackData: { message: message.id } satisfies ImAckData,
    };
  }

  /**
   * Earlier versions queued a copy of each waiting message to every session; the mailbox now
   * hands them out itself, so copies still queued to a session that outlived the upgrade go (a
   * copy the client holds unacknowledged comes again, under its MessageID).
   */
  #dropEarlierCopies(sessionId: string): Promise<void> {
    const { outbox, store } = this.im.server;
    const sweep = (async () => {
      const copies = (await outbox.all(sessionId)).filter((entry) => {
        const data = entry.ackData as ImAckData | undefined;
        return data !== undefined && "message" in data;
      });
      await store.write(...outbox.removalMutations(sessionId, copies.map((entry) => entry.seq)));
    })().catch((error) => {
      // Tried again at the next look.
      this.#swept.delete(sessionId);
      throw error;
    });
    this.#swept.set(sessionId, sweep);
    return sweep;
  }
}

/** Whether a message is due for a session: never handed out, or handed out in another version
 * or too long ago without an answer. */
function isDue(handed: Handed | undefined, versionstamp: string, now: number): boolean {
  if (!handed) return true;
  if (handed.acknowledged) return false;
  return handed.versionstamp !== versionstamp || now - handed.at >= RESEND_AFTER_MS;
}
