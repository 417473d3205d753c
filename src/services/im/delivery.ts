/**
 * Getting messages and reports to their users' sessions, and taking them out of the mailbox once
 * they are disposed of. The mailbox is the truth; outbox entries are only its copies on their way
 * to one session, so a session ending loses nothing and a new login queues the mailbox again.
 */
import { str } from "../../session/values.ts";
import type { ServerContext } from "../../session/server_context.ts";
import type { Mutation, Store } from "../../store/kv.ts";
import type { NewOutboxEntry } from "../../store/outbox.ts";
import type { SessionRecord } from "../../store/sessions.ts";
import { MailboxRepo, type Outcome, type StoredMessage, type StoredReport } from "./mailbox.ts";
import { deliveryReport, messageNotification, newMessage } from "./presentation.ts";

/** AckModule names: the client's answer to a NewMessage, and to a DeliveryReport-Request. */
export const MESSAGE_ACK = "im.message";
export const REPORT_ACK = "im.report";

/** What an outbox entry of this element carries, to find it again. */
export type ImAckData = { message: string } | { report: { messageId: string; recipient: string } };

const PUSH_LEAF = "IMFeat/IMReceiveFunc/NEWM";
const NOTIFY_LEAF = "IMFeat/IMReceiveFunc/NOTIF";

/** Writes at most this much in one commit; a group of mutations is never split. */
const CHUNK_MUTATIONS = 500;
const CHUNK_BYTES = 400 * 1024;

export const mailboxOf = (server: ServerContext) => new MailboxRepo(server.store);

/**
 * How a session gets messages: its SetDeliveryMethod, else the InitialDeliveryMethod agreed in
 * ClientCapability, else push; within the functions the session agreed. None: it fetches them
 * itself (GetMessageList / GetMessage).
 */
async function deliveryFor(
  server: ServerContext,
  session: SessionRecord,
): Promise<{ method: "P" | "N"; acceptedContentLength?: number } | undefined> {
  const prefs = await mailboxOf(server).prefs(session.id);
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

async function messageEntry(
  server: ServerContext,
  session: SessionRecord,
  message: StoredMessage,
  content: string,
): Promise<NewOutboxEntry | undefined> {
  const delivery = await deliveryFor(server, session);
  if (!delivery) return undefined;
  const fits = delivery.acceptedContentLength === undefined ||
    message.size <= delivery.acceptedContentLength;
  const ackData: ImAckData = { message: message.id };
  return delivery.method === "P" && fits
    ? { primitive: newMessage(message, content), ackHandler: MESSAGE_ACK, ackData }
    : { primitive: messageNotification(message), ackData };
}

/** Outbox mutations that hand a stored message to each of the recipient's sessions. */
export async function queueMessageMutations(
  server: ServerContext,
  sessions: SessionRecord[],
  message: StoredMessage,
  content: string,
): Promise<Mutation[]> {
  const mutations: Mutation[] = [];
  for (const session of sessions) {
    const entry = await messageEntry(server, session, message, content);
    if (entry) mutations.push(...await server.outbox.enqueueMutations(session.id, entry));
  }
  return mutations;
}

function reportEntry(report: StoredReport): NewOutboxEntry {
  const ackData: ImAckData = {
    report: { messageId: report.messageId, recipient: report.recipient },
  };
  return {
    primitive: deliveryReport(report),
    ackHandler: REPORT_ACK,
    ackData,
    // A report queued twice (a race of two acknowledgements) goes out once.
    coalesceKey: `im-report:${report.messageId}:${report.recipient}`,
  };
}

/** Mutations that keep a report for its owner and queue it to the owner's sessions. */
async function reportMutations(server: ServerContext, report: StoredReport): Promise<Mutation[]> {
  const mutations = [mailboxOf(server).reportMutation(report)];
  for (const session of await server.sessions.repo.listByUser(report.owner)) {
    mutations.push(...await server.outbox.enqueueMutations(session.id, reportEntry(report)));
  }
  return mutations;
}

/**
 * Takes a message out of its recipient's mailbox with the given outcome, tells the sender if
 * they asked, then withdraws copies still queued to the recipient's sessions.
 */
export async function dispose(
  server: ServerContext,
  message: StoredMessage,
  outcome: Outcome,
  /** A session whose copy is already gone (it acknowledged it): not searched again. */
  settledSession?: string,
): Promise<void> {
  const mutations = mailboxOf(server).disposeMutations(message, outcome);
  if (message.deliveryReport) {
    mutations.push(
      ...await reportMutations(server, {
        owner: message.sender,
        messageId: message.id,
        recipient: message.recipient,
        code: outcome,
        at: Date.now(),
        message: { contentType: message.contentType, size: message.size, sentAt: message.sentAt },
      }),
    );
  }
  await writeGroups(server.store, [mutations]);
  await withdrawQueued(server, message.recipient, message.id, settledSession);
}

async function withdrawQueued(
  server: ServerContext,
  user: string,
  messageId: string,
  settledSession?: string,
) {
  for (const session of await server.sessions.repo.listByUser(user)) {
    if (session.id === settledSession) continue;
    for (const entry of await server.outbox.all(session.id)) {
      const data = entry.ackData as ImAckData | undefined;
      if (data && "message" in data && data.message === messageId) {
        await server.outbox.ack(session.id, entry.seq);
      }
    }
  }
}

/** A user's waiting messages, oldest first; expired ones are disposed of (542) on the way. */
export async function liveMessages(
  server: ServerContext,
  user: string,
  limit?: number,
): Promise<StoredMessage[]> {
  const now = Date.now();
  const live: StoredMessage[] = [];
  for (const message of await mailboxOf(server).pending(user, limit)) {
    if (message.expiresAt !== undefined && message.expiresAt <= now) {
      await dispose(server, message, 542);
    } else live.push(message);
  }
  return live;
}

/** A new session of a user: queue everything still waiting for them, messages and reports. */
export async function pickUp(server: ServerContext, session: SessionRecord): Promise<void> {
  const mailbox = mailboxOf(server);
  const groups: Mutation[][] = [];
  for (const message of await liveMessages(server, session.userId)) {
    const content = await mailbox.content(session.userId, message.id);
    groups.push(await queueMessageMutations(server, [session], message, content));
  }
  for (const report of await mailbox.reports(session.userId)) {
    groups.push(await server.outbox.enqueueMutations(session.id, reportEntry(report)));
  }
  await writeGroups(server.store, groups);
}

/**
 * Commits groups of mutations, as few commits as the KV limits allow: each group (one
 * recipient's message with its queue entries) is committed whole, in order.
 */
export async function writeGroups(store: Store, groups: Mutation[][]): Promise<void> {
  let chunk: Mutation[] = [];
  let bytes = 0;
  for (const group of groups) {
    const size = group.reduce((n, m) => n + 64 + (m.type === "set" ? approxSize(m.value) : 0), 0);
    if (
      chunk.length > 0 &&
      (chunk.length + group.length > CHUNK_MUTATIONS || bytes + size > CHUNK_BYTES)
    ) {
      await store.write(...chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(...group);
    bytes += size;
  }
  await store.write(...chunk);
}

function approxSize(value: unknown): number {
  return typeof value === "string" ? value.length * 3 : JSON.stringify(value)?.length ?? 16;
}
