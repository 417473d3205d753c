/**
 * Each user's mailbox: the messages waiting for them (until delivered, rejected, forwarded or
 * expired), the delivery reports waiting for them, a short memory of what was already disposed
 * (so a retried MessageDelivered is answered alike), and each session's delivery preferences.
 * Messages belong to the user, not to a session: every new login picks up what is still here.
 * A message's record holds its content; records written by earlier versions have theirs under a
 * key of its own, still read (and deleted with the message) for them.
 */
import type { ElementObject } from "../../codec/csp/message.ts";
import { check, del, type Mutation, set, type Store } from "../../store/kv.ts";
import { RECENT_MS } from "./limits.ts";
import { PENDING, StoredCounts, TrackedCounts, type WaitingCounts } from "./waiting_counts.ts";

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
const doneKey = (user: string, id: string) => ["im", "done", user, id];
const reportKey = (owner: string, messageId: string, recipient: string) => [
  "im",
  "report",
  owner,
  messageId,
  recipient,
];
const prefsKey = (sessionId: string) => ["im", "prefs", sessionId];

/** The shape of every MessageID this server issues (`sortableId`); anything else names nothing. */
export const isMessageId = (id: string) => /^[0-9a-f]{22}$/.test(id);

/**
 * What a queue entry that carries the content already keeps of a stored message: the content is
 * emptied rather than left out, so that disposing of it still tells a record with its content
 * inline from one of an earlier version (whose content key goes too).
 */
export function withoutContent(message: StoredMessage): StoredMessage {
  return message.content === undefined ? message : { ...message, content: "" };
}

/** How long a disposed message is remembered, to answer retried acknowledgements alike. */
const DONE_REMEMBERED_MS = 7 * 24 * 3600_000;

export class MailboxRepo {
  /** How many messages wait per user: kept with every store and disposal, so a send learns
   * whether there is room without listing the mailbox. */
  readonly #counts: WaitingCounts;

  constructor(private readonly store: Store) {
    this.#counts = store.exclusive ? new TrackedCounts(store) : new StoredCounts(store);
  }

  /** Waiting messages of a user, oldest first. */
  async pending(user: string, limit?: number): Promise<StoredMessage[]> {
    const entries = await this.store.list<StoredMessage>([...PENDING, user], { limit });
    return entries.map((e) => e.value);
  }

  message(user: string, id: string): Promise<StoredMessage | undefined> {
    return this.store.get<StoredMessage>(pendingKey(user, id));
  }

  /** Messages counted in the mailbox (expired ones still included until they are dropped). */
  count(user: string): Promise<number> {
    return this.#counts.count(user);
  }

  /** A stored message's content: inline, or, for a record of an earlier version, its own key. */
  async content(message: StoredMessage): Promise<string> {
    if (message.content !== undefined) return message.content;
    return await this.store.get<string>(contentKey(message.recipient, message.id)) ?? "";
  }

  /** The outcome of a message that already left the mailbox, if still remembered. */
  async disposed(user: string, id: string): Promise<Outcome | undefined> {
    return (await this.store.get<{ outcome: Outcome }>(doneKey(user, id)))?.outcome;
  }

  /** Mutations that put a message, its content inline, in its recipient's mailbox. */
  storeMutations(message: StoredMessage & { content: string }): Mutation[] {
    return [
      set(pendingKey(message.recipient, message.id), message),
      ...this.#counts.change(message.recipient, 1),
    ];
  }

  /**
   * Mutations that take a message out of the mailbox. They hold only while nobody disposed of it
   * first (its disposal record does not exist yet): two acknowledgements, or a delivery and a
   * reject, racing for one message settle it once, and its sender gets one report.
   */
  disposeMutations(message: StoredMessage, outcome: Outcome): Mutation[] {
    const mutations: Mutation[] = [
      check(doneKey(message.recipient, message.id), null),
      ...this.#counts.change(message.recipient, -1),
      del(pendingKey(message.recipient, message.id)),
      {
        type: "set",
        key: doneKey(message.recipient, message.id),
        value: { outcome, at: Date.now() },
        expireIn: DONE_REMEMBERED_MS,
      },
    ];
    // Only a record of an earlier version has its content under a key of its own.
    if (message.content === undefined) {
      mutations.push(del(contentKey(message.recipient, message.id)));
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
