/**
 * Instant messages across domains (release definition §6.1.5.4): local senders' messages to
 * remote users become SSP SendMessageRequests, queued in KV before the sender's 200; a peer's
 * SendMessageRequest is delivered to our users through IM's `distribute`, exactly as a local send.
 */
import {
  type DetailedResult,
  readDeliveryStatusReport,
  readSendMessageRequest,
  sendMessageResponse,
  status,
} from "../../codec/ssp/mod.ts";
import type { XmlElement } from "../../codec/xml/tree.ts";
import type { Federation } from "../../federation/federation.ts";
import type { ServerContext } from "../../session/server_context.ts";
import { describe, ProtocolError } from "../../session/status.ts";
import type { Mutation } from "../../store/kv.ts";
import { parseUserId, type UserAddress } from "../../util/userid.ts";
import type { Draft } from "../im/compose.ts";
import { distribute } from "../im/distribute.ts";
import type { RecipientOutcome } from "../im/seams.ts";
import { SEEN_REMEMBERED_MS } from "./limits.ts";
import type { RelayQueue } from "./queue.ts";
import { relayedContent, relayedDraft } from "./relayed_content.ts";
import {
  type AwaitedReport,
  awaitKey,
  reportToLocalSender,
  sentKey,
  type SentRecord,
} from "./reports.ts";

/** Queues a local user's message for its remote recipients; answers each recipient. */
export async function relayMessage(
  server: ServerContext,
  federation: Federation,
  queue: RelayQueue,
  draft: Draft,
  content: string,
  recipients: UserAddress[],
): Promise<RecipientOutcome[]> {
  const outcomes: RecipientOutcome[] = [];
  const byDomain = new Map<string, string[]>();
  for (const r of recipients) {
    if (!federation.peers.allowed(r.domain)) {
      outcomes.push({
        kind: "UserID",
        id: r.id,
        code: 516,
        description: `Domain ${r.domain} is not federated with`,
      });
      continue;
    }
    if (!byDomain.has(r.domain) && !await federation.peers.exists(r.domain)) {
      // Nothing to queue for: no server will ever take it, so the sender hears it now.
      outcomes.push({
        kind: "UserID",
        id: r.id,
        code: 516,
        description: `Domain ${r.domain} has no IMPS server (no _imps-server._tcp SRV record)`,
      });
      continue;
    }
    if (!byDomain.has(r.domain)) byDomain.set(r.domain, []);
    byDomain.get(r.domain)!.push(r.id);
    outcomes.push({ kind: "UserID", id: r.id, code: 200 });
  }
  if (byDomain.size === 0) return outcomes;
  const now = Date.now();
  const giveUpAt = Math.min(draft.expiresAt ?? Infinity, now + server.config.sspGiveUpS * 1000);
  const mutations: Mutation[] = [];
  for (const [domain, ids] of byDomain) {
    mutations.push(queue.enqueue(domain, {
      kind: "message",
      giveUpAt,
      message: {
        ...relayedContent(draft, content, now),
        sender: draft.sender,
        recipients: ids,
        deliveryReport: draft.deliveryReport,
      },
    }));
  }
  if (draft.deliveryReport) {
    const sent: SentRecord = {
      owner: draft.sender,
      contentType: draft.contentType,
      size: draft.size,
      sentAt: draft.sentAt,
      recipients: [...byDomain.values()].flat(),
    };
    mutations.push({
      type: "set",
      key: sentKey(draft.id),
      value: sent,
      expireIn: giveUpAt - now + SEEN_REMEMBERED_MS,
    });
  }
  await server.store.write(...mutations);
  for (const domain of byDomain.keys()) queue.kick(domain);
  return outcomes;
}

interface SeenRecord {
  code: number;
  details: DetailedResult[];
}

const seenKey = (peer: string, messageId: string) => ["relay", "in", peer, messageId];

/** A peer's SendMessageRequest: delivered to our users, answered with a SendMessageResponse. */
export async function receiveMessage(
  server: ServerContext,
  peer: string,
  p: XmlElement,
): Promise<XmlElement> {
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
        ...await distribute(
          server,
          draft,
          content,
          { users: local, groups: [], contactLists: [] },
          [
            sender.id,
          ],
        ),
        ...outcomes,
      ];
    }
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    return sendMessageResponse(m.messageId, status(error.code, error.message));
  }

  const failed = outcomes.filter((o) => o.code !== 200);
  const details: DetailedResult[] = [...new Set(failed.map((o) => o.code))].map((code) => ({
    code,
    description: failed.find((o) => o.code === code)?.description ?? describe(code),
    userIds: failed.filter((o) => o.code === code).map((o) => o.id),
  }));
  const code = failed.length === 0
    ? 200
    : failed.length < outcomes.length
    ? 201
    : details.length === 1
    ? details[0].code
    : 900;

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
export async function receiveDeliveryReport(
  server: ServerContext,
  peer: string,
  p: XmlElement,
): Promise<XmlElement> {
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
    server,
    sent,
    r.messageId,
    recipient.id,
    r.code,
    Math.min(r.at, Date.now()),
  );
  return status(200, describe(200));
}
