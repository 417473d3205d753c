/**
 * Our users' messages to other domains, on the SSP transport: to users of other domains, to
 * groups of other domains, and the copies our groups send their joined users of other domains.
 * Each is queued in KV before the sender is answered; what the peers answer is settled in
 * `federation.ts`.
 */
import {
  groupMessageRequest,
  type RelayedGroupMessage,
  type RelayedMessage,
  sendMessageRequest,
} from "../../codec/ssp/mod.ts";
import { GROUP_COPY_SETTLED, MESSAGE_SETTLED } from "../../federation/queue.ts";
import type { Mutation } from "../../store/kv.ts";
import type { GroupAddressing, GroupRecipient } from "../shared/group_messages.ts";
import { parseGroupId, type UserAddress } from "../shared/ids.ts";
import type { RecipientOutcome } from "../shared/outcomes.ts";
import type { Draft } from "./compose.ts";
import type { Im } from "./element.ts";
import { sentKey, type SentRecord, type Settled } from "./federation_reports.ts";
import { SEEN_REMEMBERED_MS } from "./limits.ts";
import { relayedContent } from "./relayed_content.ts";

/**
 * Queues a local user's message for its remote recipients (stored before this resolves, so a
 * 200 outcome means it will be delivered or its sender told why); answers each recipient, 516
 * for a domain not federated with, and for all of them without federation.
 */
export async function relayMessage(
  im: Im,
  draft: Draft,
  content: string,
  recipients: UserAddress[],
): Promise<RecipientOutcome[]> {
  const { server } = im;
  const transport = im.hooks.federation;
  if (!transport) {
    return recipients.map((r) => ({
      kind: "UserID" as const,
      id: r.id,
      code: 516,
      description: `Domain ${r.domain} is not served by this server`,
    }));
  }
  const outcomes: RecipientOutcome[] = [];
  const byDomain = new Map<string, string[]>();
  for (const r of recipients) {
    if (!transport.allowed(r.domain)) {
      outcomes.push({
        kind: "UserID",
        id: r.id,
        code: 516,
        description: `Domain ${r.domain} is not federated with`,
      });
      continue;
    }
    if (!byDomain.has(r.domain) && !await transport.exists(r.domain)) {
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
    const message: RelayedMessage = {
      ...relayedContent(draft, content, now),
      sender: draft.sender,
      recipients: ids,
      deliveryReport: draft.deliveryReport,
    };
    mutations.push(transport.enqueue(domain, {
      kind: "request",
      primitive: sendMessageRequest(server.config.domain, message),
      giveUpAt,
      settle: {
        by: MESSAGE_SETTLED,
        data: {
          messageId: message.messageId,
          recipients: ids,
          deliveryReport: draft.deliveryReport,
        } satisfies Settled,
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
  for (const domain of byDomain.keys()) transport.send(domain);
  return outcomes;
}

/** The copies of a group message for joined users of other domains, one request per domain
 * (stored before this resolves); without federation there are none to make. */
export async function relayCopies(
  im: Im,
  draft: Draft,
  content: string,
  addressing: GroupAddressing,
  receivers: UserAddress[],
): Promise<void> {
  const { server } = im;
  const transport = im.hooks.federation;
  if (!transport) return;
  const now = Date.now();
  const giveUpAt = Math.min(draft.expiresAt ?? Infinity, transport.giveUpAt(now));
  const mutations: Mutation[] = [];
  const byDomain = new Map<string, string[]>();
  for (const r of receivers) {
    if (!transport.allowed(r.domain)) continue;
    byDomain.set(r.domain, [...byDomain.get(r.domain) ?? [], r.id]);
  }
  for (const [domain, users] of byDomain) {
    const message: RelayedGroupMessage = {
      ...relayedContent(draft, content, now),
      groupId: addressing.groupId,
      senderName: addressing.senderName,
      receivers: users,
      recipientName: addressing.recipientName,
    };
    const primitive = groupMessageRequest(server.config.domain, message);
    // Only a copy tried for the whole give-up time says its receivers' server is gone (the
    // message's own Validity may end sooner).
    const groupCopy = giveUpAt === transport.giveUpAt(now)
      ? { groupId: addressing.groupId, receivers: users }
      : undefined;
    mutations.push(
      transport.enqueue(domain, {
        kind: "request",
        primitive,
        giveUpAt,
        ...(groupCopy ? { settle: { by: GROUP_COPY_SETTLED, data: groupCopy } } : {}),
      }),
    );
  }
  await server.store.write(...mutations);
  for (const domain of byDomain.keys()) transport.send(domain);
}

/**
 * A local user's message to a group of another domain, queued for the group's server (stored
 * before this resolves), which decides who gets it. Only a user who joined through here may post
 * (808 otherwise); without federation, 516.
 */
export async function relayToGroup(
  im: Im,
  draft: Draft,
  content: string,
  recipient: GroupRecipient,
  domain: string,
): Promise<RecipientOutcome> {
  const { server } = im;
  const transport = im.hooks.federation;
  const address = parseGroupId(recipient.groupId, server.config.domain)!;
  const outcome = (code: number, description?: string): RecipientOutcome => ({
    kind: "GroupID",
    id: address.id,
    code,
    ...(description ? { description } : {}),
  });
  if (!transport) return outcome(516, `Domain ${domain} is not served by this server`);
  if (!transport.allowed(address.domain)) {
    return outcome(516, `Domain ${address.domain} is not federated with`);
  }
  const joined = await im.hooks.groups?.joinedRemotely(address.id, [draft.sender]);
  if (!joined?.length) return outcome(808, "Group is not joined");
  const now = Date.now();
  const message: RelayedGroupMessage = {
    ...relayedContent(draft, content, now),
    groupId: address.id,
    sender: draft.sender,
    recipientName: recipient.screenName,
  };
  await server.store.write(transport.enqueue(address.domain, {
    kind: "request",
    primitive: groupMessageRequest(server.config.domain, message),
    giveUpAt: Math.min(draft.expiresAt ?? Infinity, transport.giveUpAt(now)),
  }));
  transport.send(address.domain);
  return outcome(200);
}
