/**
 * Instant messages across domains (release definition §6.1.5.4), on the SSP transport: local
 * senders' messages to remote users become SSP SendMessageRequests, queued in KV before the
 * sender's 200; a peer's SendMessageRequest is delivered to our users through `distribute`,
 * exactly as a local send. Group messages crossing domains are in `federation_groups.ts`, delivery
 * reports in `federation_reports.ts`.
 */
import { log } from "../../observe/log.ts";
import {
  type DetailedResult,
  detailedResults,
  isGroupMessage,
  readDeliveryStatusReport,
  readSendMessageRequest,
  sendMessageResponse,
  status,
  statusCode,
  statusDescription,
} from "../../codec/ssp/mod.ts";
import { MESSAGE_SETTLED, type SettleHandler } from "../../federation/queue.ts";
import type { XmlElement } from "../../codec/xml/tree.ts";
import type { SspTransport } from "../../federation/relay.ts";
import { describe, ProtocolError } from "../../session/status.ts";
import type { Mutation } from "../../store/kv.ts";
import { parseUserId } from "../shared/ids.ts";
import { type RecipientOutcome, sspDetails, summarise } from "../shared/outcomes.ts";
import type { Draft } from "./compose.ts";
import type { Im } from "./element.ts";
import { receiveGroupMessage } from "./federation_groups.ts";
import {
  type AwaitedReport,
  awaitKey,
  reportToLocalSender,
  scanRemoteReports,
  sentKey,
  type SentRecord,
  type Settled,
} from "./federation_reports.ts";
import { REPORT_SCAN_MS, SEEN_REMEMBERED_MS } from "./limits.ts";
import { distribute } from "./recipients.ts";
import { relayedDraft } from "./relayed_content.ts";

/**
 * Serves the peers' messages and delivery reports, settles what our queued messages became, and
 * sends remote senders the reports our recipients' dispositions made; `stop` ends the latter.
 */
export function serveMessages(im: Im, transport: SspTransport): { stop(): Promise<void> } {
  transport.onSettled(MESSAGE_SETTLED, messageSettler(im));
  transport.handle(
    "SendMessageRequest",
    (peer, p) => isGroupMessage(p) ? receiveGroupMessage(im, peer, p) : receiveMessage(im, peer, p),
  );
  transport.handle("DeliveryStatusReport", (peer, p) => receiveDeliveryReport(im, peer, p));
  return scanRemoteReports(im, transport, REPORT_SCAN_MS);
}

interface SeenRecord {
  code: number;
  details: DetailedResult[];
}

const seenKey = (peer: string, messageId: string) => ["relay", "in", peer, messageId];

/** A peer's SendMessageRequest: delivered to our users, answered with a SendMessageResponse. */
async function receiveMessage(im: Im, peer: string, p: XmlElement): Promise<XmlElement> {
  const { server } = im;
  const m = readSendMessageRequest(p);
  const messageId = p.children.find((c) => c.name === "MessageInfo")?.attrs.messageID ?? "";
  if ("code" in m) return sendMessageResponse(messageId, status(m.code, m.description));
  const sender = parseUserId(m.sender, peer);
  if (!sender || sender.domain !== peer) {
    return sendMessageResponse(m.messageId, status(402, "Sender is not of the requesting domain"));
  }
  // A peer that did not hear our answer sends again: it gets the same answer, no second copy.
  const seen = await server.store.get<SeenRecord>(seenKey(peer, m.messageId));
  if (seen) {
    return sendMessageResponse(m.messageId, status(seen.code, describe(seen.code), seen.details));
  }

  let outcomes: RecipientOutcome[] = [];
  let draft: Draft;
  try {
    const relayed = relayedDraft(m, sender.id, m.deliveryReport, server.config);
    draft = relayed.draft;
    const content = relayed.content;
    const local: string[] = [];
    for (const raw of m.recipients) {
      const address = parseUserId(raw, server.config.domain);
      if (address?.domain === server.config.domain) local.push(address.id);
      else {outcomes.push({
          kind: "UserID",
          id: raw,
          code: 516,
          description: "Not a user of this domain",
        });}
    }
    if (local.length > 0) {
      outcomes = [
        ...await distribute(im, draft, content, { users: local, groups: [], contactLists: [] }, [
          sender.id,
        ]),
        ...outcomes,
      ];
    }
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    return sendMessageResponse(m.messageId, status(error.code, error.message));
  }

  const summary = summarise(outcomes);
  const code = summary.code;
  const details = sspDetails(summary);

  const mutations: Mutation[] = [{
    type: "set",
    key: seenKey(peer, m.messageId),
    value: { code, details } satisfies SeenRecord,
    expireIn: SEEN_REMEMBERED_MS,
  }];
  if (m.deliveryReport) {
    for (const o of outcomes) {
      if (o.code !== 200) continue;
      const awaited: AwaitedReport = { peer, originId: m.messageId, owner: sender.id };
      mutations.push({ type: "set", key: awaitKey(draft.id, o.id), value: awaited });
    }
  }
  await server.store.write(...mutations);
  return sendMessageResponse(m.messageId, status(code, describe(code), details));
}

/** A peer's DeliveryStatusReport on a message one of our users sent with DeliveryReport. */
async function receiveDeliveryReport(im: Im, peer: string, p: XmlElement): Promise<XmlElement> {
  const { server } = im;
  const r = readDeliveryStatusReport(p);
  if (!r) return status(400, "Malformed DeliveryStatusReport");
  const recipient = parseUserId(r.recipient, peer);
  const owner = parseUserId(r.owner, server.config.domain);
  const sent = await server.store.get<SentRecord>(sentKey(r.messageId));
  if (
    !recipient || recipient.domain !== peer || !owner || !sent || sent.owner !== owner.id ||
    !sent.recipients.includes(recipient.id)
  ) {
    return status(426, "No such message awaits a report from this domain");
  }
  await reportToLocalSender(
    im,
    sent,
    r.messageId,
    recipient.id,
    r.code,
    Math.min(r.at, Date.now()),
  );
  return status(200, describe(200));
}

/**
 * What becomes of a queued message: recipients the peer refused, and all of them when the
 * message is given up, are reported to a sender who asked (DeliveryReport).
 */
function messageSettler(im: Im): SettleHandler {
  const report = async (message: Settled, recipient: string, code: number) => {
    if (!message.deliveryReport) return;
    const sent = await im.server.store.get<SentRecord>(sentKey(message.messageId));
    if (sent) await reportToLocalSender(im, sent, message.messageId, recipient, code);
  };
  return {
    async answered(_domain, job, answer) {
      const message = job.settle!.data as Settled;
      const code = statusCode(answer) ?? 500;
      if (code === 200) return;
      const details = detailedResults(answer);
      const named = new Set(details.flatMap((d) => d.userIds ?? []));
      for (const d of details) {
        for (const id of d.userIds ?? []) await report(message, id, d.code);
      }
      if (code !== 201) {
        for (const r of message.recipients) if (!named.has(r)) await report(message, r, code);
      }
      if (code !== 201 && details.length === 0) {
        log.warn("relay: message refused", {
          message: message.messageId,
          code,
          description: statusDescription(answer),
        });
      }
    },
    async gaveUp(_domain, job, code, description) {
      const message = job.settle!.data as Settled;
      log.warn("relay: giving up", { message: message.messageId, reason: description });
      for (const r of message.recipients) await report(message, r, code);
    },
  };
}
