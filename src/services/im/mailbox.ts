/**
 * Each user's mailbox: the messages waiting for them (until delivered, rejected, forwarded or
 * expired), the delivery reports waiting for them, a memory of what left it lately (so a retried
 * MessageDelivered is answered alike), and each session's delivery preferences.
 * Messages belong to the user, not to a session: every new login picks up what is still here.
 * A message's record holds its content; records written by earlier versions have theirs under a
 * key of its own, still read (and deleted with the message) for them.
 */
import type { ElementObject } from "../../codec/csp/message.ts";
import { check, del, type Kept, type Mutation, set, type Store } from "../../store/kv.ts";
import { RECENT_MS } from "./limits.ts";
import {
  type MailboxUse,
  PENDING,
  StoredCounts,
  TrackedCounts,
  type WaitingCounts,
} from "./waiting_counts.ts";

export interface StoredMessage {
  /** MessageID: sortable, so a mailbox lists in sending order. */
  id: string;
  sender: string;
  recipient: string;
  contentType: string;
  encoding: "None" | "BASE64";
  /** Bytes of the content itself (decoded, for BASE64). */
  size: number;
  contentName?: string;
  font?: ElementObject;
  sentAt: number;
  /** Validity as asked, seconds; `expiresAt` is when it runs out. */
  validity?: number;
  expiresAt?: number;
  /** The sender asked for a DeliveryReport. */
  deliveryReport: boolean;
  /** The content itself; absent in records of earlier versions, whose content has its own key. */
  content?: string;
}

/** How a waiting message left the mailbox: the result code its DeliveryReport carries. */
export type Outcome = 200 | 538 | 541 | 542;

export interface StoredReport {
  /** Who receives the report: the message's sender. */
  owner: string;
  messageId: string;
  /** The recipient whose copy the report is about. */
  recipient: string;
  code: Outcome;
  at: number;
  message: Pick<StoredMessage, "contentType" | "size" | "sentAt">;
}

export interface DeliveryPrefs {
  method: "P" | "N";
  /** Larger messages are announced (MessageNotification) rather than pushed. */
  acceptedContentLength?: number;
}

const pendingKey = (user: string, id: string) => [...PENDING, user, id];
/** Where records of earlier versions keep their content (see `StoredMessage.content`). */
const contentKey = (user: string, id: string) => ["im", "content", user, id];
const reportKey = (owner: string, messageId: string, recipient: string) => [
  "im",
  "report",
  owner,
  messageId,
  recipient,
];
const prefsKey = (sessionId: string) => ["im", "prefs", sessionId];
/** A message that left a mailbox lately, on a store in shared mode (see GONE_KEPT_MS). */
const goneKey = (user: string, id: string) => ["im", "gone", user, id];

/** The shape of every MessageID this server issues (`sortableId`); anything else names nothing. */
export const isMessageId = (id: string) => /^[0-9a-f]{22}$/.test(id);

/**
 * Messages that left a mailbox lately, remembered (in memory) so that a retried MessageDelivered
 * is answered 200 again; a repeat after a restart, or once this many later messages left, is
 * answered 426 like an unknown id. Retries come within seconds; a record per disposal in KV would
 * cost a write per message.
 */
const GONE_REMEMBERED = 50_000;
/** How long a message that left a mailbox is remembered in KV on a store in shared mode, where
 * the retry may reach another instance: one more mutation of the disposal's commit. */
const GONE_KEPT_MS = 10 * 60_000;

export class MailboxRepo {
  /** How many messages wait per user: kept with every store and disposal, so a send learns
   * whether there is room without listing the mailbox. */
  readonly #counts: WaitingCounts;

  /** MessageIDs of the messages that left lately, and whose mailbox they left (users joined by a
   * line feed, for the copies of a message to several). */
  readonly #gone = new Map<string, string>();
  /** The same MessageIDs, in the order they left: the oldest is forgotten first. */
  readonly #goneOrder: string[] = [];
  #goneNext = 0;

  constructor(private readonly store: Store) {
    this.#counts = store.exclusive ? new TrackedCounts(store) : new StoredCounts(store);
    store.commits.onCommit((mutations) => this.#noteGone(mutations));
  }

  #noteGone(mutations: readonly Mutation[]): void {
    for (const m of mutations) {
      const key = m.key;
      if (m.type !== "delete" || key.length !== 4 || key[0] !== PENDING[0]) continue;
      if (key[1] !== PENDING[1]) continue;
      const user = key[2] as string, id = key[3] as string;
      const earlier = this.#gone.get(id);
      if (earlier !== undefined) {
        this.#gone.set(id, `${earlier}\n${user}`);
        continue;
      }
      if (this.#goneOrder.length < GONE_REMEMBERED) this.#goneOrder.push(id);
      else {
        this.#gone.delete(this.#goneOrder[this.#goneNext]);
        this.#goneOrder[this.#goneNext] = id;
        this.#goneNext = (this.#goneNext + 1) % GONE_REMEMBERED;
      }
      this.#gone.set(id, user);
    }
  }

  /** Waiting messages of a user, oldest first, each with the version a disposal must find. */
  pending(user: string, limit?: number): Promise<Kept<StoredMessage>[]> {
    return this.store.list<StoredMessage>([...PENDING, user], { limit });
  }

  /** A waiting message, with the version a disposal must find. */
  message(user: string, id: string): Promise<Kept<StoredMessage> | undefined> {
    return this.store.getEntry<StoredMessage>(pendingKey(user, id));
  }

  /** Messages counted in the mailbox (expired ones still included until they are dropped). */
  count(user: string): Promise<number> {
    return this.#counts.count(user);
  }

  /** What the user's mailbox holds, in all and from `sender`. */
  use(user: string, sender: string): Promise<MailboxUse> {
    return this.#counts.use(user, sender);
  }

  /** A stored message's content: inline, or, for a record of an earlier version, its own key. */
  async content(message: StoredMessage): Promise<string> {
    if (message.content !== undefined) return message.content;
    return await this.store.get<string>(contentKey(message.recipient, message.id)) ?? "";
  }

  /** Whether a message left the user's mailbox lately (delivered, rejected, forwarded or
   * expired); see GONE_REMEMBERED and GONE_KEPT_MS. */
  async leftLately(user: string, id: string): Promise<boolean> {
    const users = this.#gone.get(id);
    if (users !== undefined && (users === user || users.split("\n").includes(user))) return true;
    return !this.store.exclusive && await this.store.get<true>(goneKey(user, id)) === true;
  }

  /** Mutations that put a message, its content inline, in its recipient's mailbox. */
  storeMutations(message: StoredMessage & { content: string }): Mutation[] {
    return [
      set(pendingKey(message.recipient, message.id), message),
      ...this.#counts.change(message, 1),
    ];
  }

  /**
   * Mutations that take a message out of the mailbox. They hold only while its record is still
   * the version read: two acknowledgements, or a delivery and a reject, racing for one message
   * settle it once, and its sender gets one report.
   */
  disposeMutations({ value: message, versionstamp }: Kept<StoredMessage>): Mutation[] {
    const key = pendingKey(message.recipient, message.id);
    const mutations: Mutation[] = [
      check(key, versionstamp),
      ...this.#counts.change(message, -1),
      del(key),
    ];
    // Only a record of an earlier version has its content under a key of its own.
    if (message.content === undefined) {
      mutations.push(del(contentKey(message.recipient, message.id)));
    }
    if (!this.store.exclusive) {
      mutations.push({
        type: "set",
        key: goneKey(message.recipient, message.id),
        value: true,
        expireIn: GONE_KEPT_MS,
      });
    }
    return mutations;
  }

  async reports(owner: string): Promise<StoredReport[]> {
    return (await this.store.list<StoredReport>(["im", "report", owner])).map((e) => e.value);
  }

  reportMutation(report: StoredReport): Mutation {
    return set(reportKey(report.owner, report.messageId, report.recipient), report);
  }

  reportRemoval(owner: string, messageId: string, recipient: string): Mutation {
    return del(reportKey(owner, messageId, recipient));
  }

  prefs(sessionId: string): Promise<DeliveryPrefs | undefined> {
    return this.store.getServerOwned<DeliveryPrefs>(prefsKey(sessionId), RECENT_MS);
  }

  /** The preferences of many sessions, read together (the store sends them in batches). */
  async prefsOf(sessionIds: readonly string[]): Promise<Map<string, DeliveryPrefs | undefined>> {
    const prefs = await Promise.all(sessionIds.map((id) => this.prefs(id)));
    return new Map(sessionIds.map((id, i) => [id, prefs[i]]));
  }

  async setPrefs(sessionId: string, prefs: DeliveryPrefs): Promise<void> {
    await this.store.write(set(prefsKey(sessionId), prefs));
  }

  async clearPrefs(sessionId: string): Promise<void> {
    await this.store.write(del(prefsKey(sessionId)));
  }
}
