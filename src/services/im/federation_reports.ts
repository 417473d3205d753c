/**
 * Delivery reports across domains. A local sender learns the fate of a relayed message as if its
 * recipient were local (DeliveryReport-Request through the mailbox and outbox); for a remote
 * sender, the report kept here when our recipient disposes of the message is picked up and sent
 * back over SSP (DeliveryStatusReport).
 */
import { failure, log } from "../../observe/log.ts";
import { deliveryStatusReport } from "../../codec/ssp/mod.ts";
import type { SspTransport } from "../../federation/relay.ts";
import { del, type Mutation, set } from "../../store/kv.ts";
import { reportMutations } from "./delivery.ts";
import type { Im } from "./element.ts";
import type { Outcome, StoredReport } from "./storage.ts";

/** What we keep of a message relayed with DeliveryReport, to accept the peer's report on it. */
export interface SentRecord {
  owner: string;
  contentType: string;
  size: number;
  sentAt: number;
  /** Remote recipients still to report on. */
  recipients: string[];
}

/** What a queued message keeps for what becomes of it (earlier versions kept the whole
 * message, which has these too). */
export interface Settled {
  messageId: string;
  recipients: string[];
  deliveryReport: boolean;
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
  im: Im,
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
    // A peer may report any status code; the mailbox's type names only the ones IM produces.
    code: code as Outcome,
    at,
    message: { contentType: sent.contentType, size: sent.size, sentAt: sent.sentAt },
  };
  const mutations: Mutation[] = await reportMutations(im, report);
  const left = sent.recipients.filter((r) => r !== recipient);
  mutations.push(
    left.length > 0
      ? set(sentKey(messageId), { ...sent, recipients: left })
      : del(sentKey(messageId)),
  );
  await im.server.store.write(...mutations);
}

/**
 * Reports made for remote senders (when our recipient took, rejected or let expire the
 * message): each becomes a DeliveryStatusReport job for the sender's domain, and leaves the
 * mailbox. Resolves with the domains that have new jobs.
 */
async function collectRemoteReports(im: Im, transport: SspTransport): Promise<string[]> {
  const { server, mailbox } = im;
  const now = Date.now();
  const peers = new Set<string>();
  const awaited = await server.store.list<AwaitedReport>(awaitPrefix, { limit: 256 });
  for (const { key, value } of awaited) {
    const [localId, recipient] = [String(key[2]), String(key[3])];
    const report = (await mailbox.reports(value.owner)).find((r) =>
      r.messageId === localId && r.recipient === recipient
    );
    if (!report) continue;
    const primitive = deliveryStatusReport(server.config.domain, {
      messageId: value.originId,
      owner: report.owner,
      recipient: report.recipient,
      code: report.code,
      at: report.at,
      contentType: report.message.contentType,
    });
    await server.store.write(
      transport.enqueue(value.peer, {
        kind: "notify",
        primitive,
        giveUpAt: transport.giveUpAt(now),
      }),
      del(key),
      mailbox.reportRemoval(value.owner, localId, recipient),
    );
    peers.add(value.peer);
  }
  return [...peers];
}

/** Looks for reports of remote senders every `everyMs`, one look at a time; `stop` ends it
 * once the look under way is done. */
export function scanRemoteReports(
  im: Im,
  transport: SspTransport,
  everyMs: number,
): { stop(): Promise<void> } {
  let scanning: Promise<void> | undefined;
  const timer = setInterval(() => {
    if (scanning) return;
    scanning = collectRemoteReports(im, transport)
      .then((peers) => peers.forEach((peer) => transport.send(peer)))
      .catch((e) => log.error("relay report scan failed", failure(e)))
      .finally(() => scanning = undefined);
  }, everyMs);
  return {
    async stop() {
      clearInterval(timer);
      await scanning;
    },
  };
}
