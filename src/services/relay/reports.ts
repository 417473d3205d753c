/**
 * Delivery reports across domains. A local sender learns the fate of a relayed message as if its
 * recipient were local (DeliveryReport-Request through IM's mailbox and outbox); for a remote
 * sender, the report IM keeps here when our recipient disposes of the message is picked up and
 * sent back over SSP (DeliveryStatusReport).
 */
import type { ServerContext } from "../../session/handler.ts";
import { del, type Mutation, set } from "../../store/kv.ts";
import { type ImAckData, mailboxOf, REPORT_ACK } from "../im/delivery.ts";
import type { Outcome, StoredReport } from "../im/mailbox.ts";
import { deliveryReport } from "../im/presentation.ts";

/** What we keep of a message relayed with DeliveryReport, to accept the peer's report on it. */
export interface SentRecord {
  owner: string;
  contentType: string;
  size: number;
  sentAt: number;
  /** Remote recipients still to report on. */
  recipients: string[];
}

/** A message a remote sender wants reported, delivered here under our own MessageID. */
export interface AwaitedReport {
  peer: string;
  /** The MessageID the sender's server issued. */
  originId: string;
  owner: string;
}

export const sentKey = (messageId: string) => ["relay", "sent", messageId];
const awaitPrefix = ["relay", "await-report"];
export const awaitKey = (
  localId: string,
  recipient: string,
) => [...awaitPrefix, localId, recipient];

/** Stores a report for a local sender and queues it to the sender's live sessions. */
export async function reportToLocalSender(
  server: ServerContext,
  sent: SentRecord,
  messageId: string,
  recipient: string,
  code: number,
  at = Date.now(),
): Promise<void> {
  const report: StoredReport = {
    owner: sent.owner,
    messageId,
    recipient,
    // A peer may report any status code; IM's type names only the ones it produces itself.
    code: code as Outcome,
    at,
    message: { contentType: sent.contentType, size: sent.size, sentAt: sent.sentAt },
  };
  const ackData: ImAckData = { report: { messageId, recipient } };
  const mutations: Mutation[] = [mailboxOf(server).reportMutation(report)];
  for (const session of await server.sessions.repo.listByUser(sent.owner)) {
    mutations.push(
      ...await server.outbox.enqueueMutations(session.id, {
        primitive: deliveryReport(report),
        ackHandler: REPORT_ACK,
        ackData,
        coalesceKey: `im-report:${messageId}:${recipient}`,
      }),
    );
  }
  const left = sent.recipients.filter((r) => r !== recipient);
  mutations.push(
    left.length > 0
      ? set(sentKey(messageId), { ...sent, recipients: left })
      : del(sentKey(messageId)),
  );
  await server.store.write(...mutations);
}

/**
 * Reports IM has made for remote senders (when our recipient took, rejected or let expire the
 * message): each becomes a DeliveryStatusReport job for the sender's domain, and leaves IM.
 */
export async function collectRemoteReports(
  server: ServerContext,
  queue: (peer: string, report: StoredReport, originId: string) => Mutation,
): Promise<string[]> {
  const peers = new Set<string>();
  const awaited = await server.store.list<AwaitedReport>(awaitPrefix, { limit: 256 });
  const mailbox = mailboxOf(server);
  for (const { key, value } of awaited) {
    const [localId, recipient] = [String(key[2]), String(key[3])];
    const report = (await mailbox.reports(value.owner)).find((r) =>
      r.messageId === localId && r.recipient === recipient
    );
    if (!report) continue;
    await server.store.write(
      queue(value.peer, report, value.originId),
      del(key),
      mailbox.reportRemoval(value.owner, localId, recipient),
    );
    peers.add(value.peer);
  }
  return [...peers];
}
