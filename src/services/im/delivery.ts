/**
 * Getting messages and reports to their users' sessions, and taking messages out of the mailbox
 * once they are disposed of. The mailbox is the truth, and sessions are handed its messages
 * straight from it (feed.ts). The one exception is a group copy pushed to a receiver whose every
 * session takes pushes: it lives only in those sessions' queues (see `pushedGroupCopyMutations`).
 */
import { str } from "../../session/values.ts";
import type { AckModule } from "../../session/handler.ts";
import { CommitConflict, type Kept, type Mutation, type Store } from "../../store/kv.ts";
import type { NewOutboxEntry } from "../../store/outbox.ts";
import type { SessionRecord } from "../../store/sessions.ts";
import type { Im } from "./element.ts";
import type { DeliveryPrefs, Outcome, StoredMessage, StoredReport } from "./storage.ts";
import type { PresentedMessage } from "./presentation.ts";

/** AckModule names: the client's answer to a NewMessage, and to a DeliveryReport-Request. */
export const MESSAGE_ACK = "im.message";
export const REPORT_ACK = "im.report";

/**
 * What an outbox entry of this element carries, to find it again. A pushed message carries the
 * message as stored too, and the version of its record, so its acknowledgement settles it
 * without reading it back. A group copy that is only queued names its MessageID: acknowledging it
 * just takes the entry off the queue.
 */
export type ImAckData =
  | { message: string; stored?: StoredMessage; version?: string }
  | { report: { messageId: string; recipient: string } }
  | { groupCopy: string };

const PUSH_LEAF = "IMFeat/IMReceiveFunc/NEWM";
const NOTIFY_LEAF = "IMFeat/IMReceiveFunc/NOTIF";

/** Writes at most this much in one commit; a group of mutations is never split. */
const CHUNK_MUTATIONS = 500;
const CHUNK_BYTES = 400 * 1024;
/** Sessions queued a group copy in one call: well within a commit (CHUNK_MUTATIONS). */
const GROUP_COPY_SLICE = 100;

/**
 * How a session gets messages: its SetDeliveryMethod (`prefs`), else the InitialDeliveryMethod
 * agreed in ClientCapability, else push; within the functions the session agreed. None: it
 * fetches them itself (GetMessageList / GetMessage).
 */
export function deliveryFor(
  session: SessionRecord,
  prefs: DeliveryPrefs | undefined,
): DeliveryPrefs | undefined {
  let method = prefs?.method ??
    (str(session.capabilities?.InitialDeliveryMethod) === "N" ? "N" : "P");
  const agreed = session.services;
  if (agreed) {
    const push = agreed.includes(PUSH_LEAF);
    const notify = agreed.includes(NOTIFY_LEAF);
    if (!push && !notify) return undefined;
    if (method === "P" && !push) method = "N";
    if (method === "N" && !notify) method = "P";
  }
  return { method, acceptedContentLength: prefs?.acceptedContentLength };
}

/** Whether a message of `size` bytes goes out pushed whole (NewMessage) rather than announced. */
export function pushes(delivery: DeliveryPrefs, size: number): boolean {
  return delivery.method === "P" &&
    (delivery.acceptedContentLength === undefined || size <= delivery.acceptedContentLength);
}

/**
 * Whether a group copy for a user with these sessions may skip the mailbox: every session takes
 * it pushed whole, so none will ask the mailbox for it (GetMessage). Joining a group ends with
 * the user's last session, so a copy that ends with the sessions loses nothing the user keeps.
 * A user without sessions gets the mailbox copy, as before.
 */
export function pushesEverywhere(
  sessions: readonly SessionRecord[],
  prefs: ReadonlyMap<string, DeliveryPrefs | undefined>,
  size: number,
): boolean {
  return sessions.length > 0 && sessions.every((session) => {
    const delivery = deliveryFor(session, prefs.get(session.id));
    return delivery !== undefined && pushes(delivery, size);
  });
}

/**
 * The queue entry of a group copy that is not in the mailbox: one NewMessage for every such
 * receiver (a group copy shows the group, not the receiver), with no acknowledgement handler,
 * so the client's answer only takes it off its session's queue: group copies carry no delivery
 * report and there is no mailbox record to dispose of.
 */
export function pushedGroupCopy(
  im: Im,
  message: PresentedMessage,
  content: string,
): NewOutboxEntry {
  return {
    primitive: im.present.newMessage(message, content),
    ackData: { groupCopy: message.id } satisfies ImAckData,
  };
}

/**
 * The group copy queued to each of `sessions` (one mutation each), in groups of mutations for
 * `writeGroups`: one queue call per GROUP_COPY_SLICE sessions rather than one per session.
 */
export async function pushedGroupCopyMutations(
  im: Im,
  sessions: readonly SessionRecord[],
  entry: NewOutboxEntry,
): Promise<Mutation[][]> {
  const slices: SessionRecord[][] = [];
  for (let i = 0; i < sessions.length; i += GROUP_COPY_SLICE) {
    slices.push(sessions.slice(i, i + GROUP_COPY_SLICE));
  }
  return await Promise.all(
    slices.map((slice) =>
      im.server.outbox.enqueueManyMutations(
        slice.map((session) => ({ sessionId: session.id, entry })),
      )
    ),
  );
}

/**
 * MessageDelivered as a request naming a group copy that is only queued to the caller's session:
 * takes it off that queue (the same mutation its Response would have made). False when the
 * session has no such copy waiting.
 */
export async function takeGroupCopy(
  im: Im,
  sessionId: string,
  messageId: string,
): Promise<boolean> {
  for (const entry of await im.server.outbox.all(sessionId)) {
    const data = entry.ackData as ImAckData | undefined;
    if (data && "groupCopy" in data && data.groupCopy === messageId) {
      // Acknowledged at the same moment by its Response: delivered all the same.
      await im.server.outbox.ack(sessionId, entry.seq);
      return true;
    }
  }
  return false;
}

function reportEntry(im: Im, report: StoredReport): NewOutboxEntry {
  const ackData: ImAckData = {
    report: { messageId: report.messageId, recipient: report.recipient },
  };
  return {
    primitive: im.present.deliveryReport(report),
    ackHandler: REPORT_ACK,
    ackData,
    // A report queued twice (a race of two acknowledgements) goes out once.
    coalesceKey: `im-report:${report.messageId}:${report.recipient}`,
  };
}

/** Mutations that keep a report for its owner and queue it to the owner's sessions. */
export async function reportMutations(im: Im, report: StoredReport): Promise<Mutation[]> {
  const mutations = [im.mailbox.reportMutation(report)];
  for (const session of await im.server.sessions.repo.listByUser(report.owner)) {
    mutations.push(...await im.server.outbox.enqueueMutations(session.id, reportEntry(im, report)));
  }
  return mutations;
}

/**
 * The mutations that take a message out of its recipient's mailbox with the given outcome: they
 * hold only while nobody disposed of it first, and tell the sender if they asked. Sessions that
 * were handed it stop seeing it with the commit.
 */
export async function disposal(
  im: Im,
  waiting: Kept<StoredMessage>,
  outcome: Outcome,
): Promise<Mutation[]> {
  const mutations = im.mailbox.disposeMutations(waiting);
  const message = waiting.value;
  if (message.deliveryReport) {
    mutations.push(
      ...await reportMutations(im, {
        owner: message.sender,
        messageId: message.id,
        recipient: message.recipient,
        code: outcome,
        at: Date.now(),
        message: { contentType: message.contentType, size: message.size, sentAt: message.sentAt },
      }),
    );
  }
  return mutations;
}

/** Disposes of a message now; false when someone else already had (nothing written then). */
export async function dispose(
  im: Im,
  waiting: Kept<StoredMessage>,
  outcome: Outcome,
): Promise<boolean> {
  try {
    await im.server.store.write(...await disposal(im, waiting, outcome));
  } catch (error) {
    if (error instanceof CommitConflict) return false;
    throw error;
  }
  im.server.metrics.message(OUTCOME_EVENT[outcome]);
  return true;
}

const OUTCOME_EVENT = {
  200: "delivered",
  538: "rejected",
  541: "forwarded",
  542: "expired",
} as const;

/**
 * Whether `user`'s mailbox takes a message of `bytes` from `sender`: within its bounds of
 * messages (IMPS_MAILBOX_SIZE, see hasRoom) and bytes (IMPS_MAILBOX_BYTES), and within the
 * sender's share of each (IMPS_MAILBOX_SENDER_SHARE percent), so that one sender's flood leaves
 * room for everyone else.
 */
export async function takesFrom(
  im: Im,
  user: string,
  sender: string,
  bytes: number,
): Promise<boolean> {
  const { mailboxSize, mailboxBytes, mailboxSenderShare } = im.server.config;
  const use = await im.mailbox.use(user, sender);
  const share = (bound: number) => Math.max(1, Math.floor(bound * mailboxSenderShare / 100));
  if (use.fromSender.messages >= share(mailboxSize)) return false;
  if (use.fromSender.bytes + bytes > Math.max(share(mailboxBytes), bytes)) return false;
  if (use.bytes + bytes > mailboxBytes && use.messages > 0) return false;
  return use.messages < mailboxSize || await hasRoom(im, user, mailboxSize);
}

/**
 * Whether `user`'s mailbox takes another message: by its count, or, when that says full, by
 * what is still live (expired messages are dropped on the way, which may make room).
 */
export async function hasRoom(im: Im, user: string, size: number) {
  if (await im.mailbox.count(user) < size) return true;
  return (await liveMessages(im, user, size)).length < size;
}

/** A user's waiting messages, oldest first; expired ones are disposed of (542) on the way. */
export async function liveMessages(
  im: Im,
  user: string,
  limit?: number,
): Promise<StoredMessage[]> {
  const now = Date.now();
  const live: StoredMessage[] = [];
  for (const waiting of await im.mailbox.pending(user, limit)) {
    const message = waiting.value;
    if (message.expiresAt !== undefined && message.expiresAt <= now) {
      await dispose(im, waiting, 542);
    } else live.push(message);
  }
  return live;
}

/** A new session of a user: queue the delivery reports waiting for them (their messages it is
 * handed from the mailbox). */
export async function pickUp(im: Im, session: SessionRecord): Promise<void> {
  const reports = await im.mailbox.reports(session.userId);
  await writeGroups(
    im.server.store,
    await Promise.all(
      reports.map((report) =>
        im.server.outbox.enqueueMutations(session.id, reportEntry(im, report))
      ),
    ),
  );
}

/**
 * Commits groups of mutations in as few commits as the KV limits allow: each group (one
 * recipient's message with its queue entries) is committed whole. The chunks go to the store
 * together, not one after another: the grouper commits them back to back, as they come. `lead`
 * (what every group relies on, e.g. a group's read access to content the message names) goes in
 * the first chunk, committed before the others are sent.
 */
export async function writeGroups(
  store: Store,
  groups: Mutation[][],
  lead: Mutation[] = [],
): Promise<void> {
  // One group is committed whole anyway: no need to weigh it (the grouper checks the limits).
  if (groups.length <= 1) return await store.write(...lead, ...groups[0] ?? []);
  const chunks: Mutation[][] = [];
  let chunk: Mutation[] = [...lead];
  let bytes = 0;
  for (const group of groups) {
    const size = group.reduce((n, m) => n + 64 + (m.type === "set" ? approxSize(m.value) : 0), 0);
    if (
      chunk.length > 0 &&
      (chunk.length + group.length > CHUNK_MUTATIONS || bytes + size > CHUNK_BYTES)
    ) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(...group);
    bytes += size;
  }
  chunks.push(chunk);
  if (lead.length > 0) await store.write(...chunks.shift()!);
  await Promise.all(chunks.map((c) => store.write(...c)));
}

function approxSize(value: unknown): number {
  return typeof value === "string" ? value.length * 3 : JSON.stringify(value)?.length ?? 16;
}

/** The owner's answer to a DeliveryReport-Request lets the stored report go. */
export function reportAck(im: Im): AckModule {
  return {
    name: REPORT_ACK,
    onAck(ctx, entry) {
      const data = entry.ackData as ImAckData;
      if (!("report" in data)) return Promise.resolve();
      const { messageId, recipient } = data.report;
      return Promise.resolve({
        mutations: [im.mailbox.reportRemoval(ctx.session!.userId, messageId, recipient)],
      });
    },
  };
}
