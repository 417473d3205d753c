/**
 * What the IM element keeps, declared for its handlers: each user's mailbox (the messages and
 * delivery reports waiting for them, what left it lately, each session's delivery preferences) and
 * each user's block and grant lists. `mailbox.ts` and `blocking.ts` keep them in Deno KV; methods
 * that change a mailbox return mutations, which the element commits together with the
 * notifications they cause (through the store's commit path).
 */
import type { ElementObject } from "../../codec/csp/message.ts";
import type { Kept, Mutation } from "../../store/kv.ts";
import type { BlockRecord } from "../shared/privacy.ts";

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

/** The shape of every MessageID this server issues (`sortableId`); anything else names nothing. */
export const isMessageId = (id: string) => /^[0-9a-f]{22}$/.test(id);

/** What a user's mailbox holds (expired messages included until they are dropped). */
export interface MailboxUse {
  messages: number;
  /** Bytes of content. */
  bytes: number;
  /** The part of it from one sender. */
  fromSender: { messages: number; bytes: number };
}

/** Each user's mailbox, as the IM handlers use it. */
export interface MailboxStorage {
  /** Waiting messages of a user, oldest first, each with the version a disposal must find. */
  pending(user: string, limit?: number): Promise<Kept<StoredMessage>[]>;

  /** A waiting message, with the version a disposal must find. */
  message(user: string, id: string): Promise<Kept<StoredMessage> | undefined>;

  /** Messages counted in the mailbox (expired ones still included until they are dropped). */
  count(user: string): Promise<number>;

  /** What the user's mailbox holds, in all and from `sender`. */
  use(user: string, sender: string): Promise<MailboxUse>;

  /** A stored message's content: inline, or, for a record of an earlier version, its own key. */
  content(message: StoredMessage): Promise<string>;

  /** Whether a message left the user's mailbox lately (delivered, rejected, forwarded or
   * expired); see GONE_REMEMBERED and GONE_KEPT_MS. */
  leftLately(user: string, id: string): Promise<boolean>;

  /** Mutations that put a message, its content inline, in its recipient's mailbox. */
  storeMutations(message: StoredMessage & { content: string }): Mutation[];

  /**
   * Mutations that take a message out of the mailbox. They hold only while its record is still
   * the version read: two acknowledgements, or a delivery and a reject, racing for one message
   * settle it once, and its sender gets one report.
   */
  disposeMutations(waiting: Kept<StoredMessage>): Mutation[];

  reports(owner: string): Promise<StoredReport[]>;

  reportMutation(report: StoredReport): Mutation;

  reportRemoval(owner: string, messageId: string, recipient: string): Mutation;

  prefs(sessionId: string): Promise<DeliveryPrefs | undefined>;

  /** The preferences of many sessions, read together (the store sends them in batches). */
  prefsOf(sessionIds: readonly string[]): Promise<Map<string, DeliveryPrefs | undefined>>;

  setPrefs(sessionId: string, prefs: DeliveryPrefs): Promise<void>;

  clearPrefs(sessionId: string): Promise<void>;
}

/** Each user's block and grant lists (`shared/privacy.ts` says what they decide). */
export interface BlockStorage {
  get(owner: string): Promise<BlockRecord>;

  /** The records of many owners (a group message's receivers): all read together, in the
   * store's batches, and kept like a single owner's. */
  getMany(owners: readonly string[]): Promise<BlockRecord[]>;

  put(owner: string, record: BlockRecord): Promise<void>;
}
