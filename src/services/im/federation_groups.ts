/**
 * Messages to and from groups across domains: a local user's post to a group of another domain,
 * a remote member's post to one of ours, and the copies one of our groups sends its members of
 * other domains (and those of another domain's group for our users).
 */
import {
  groupMessageRequest,
  readGroupMessageRequest,
  type RelayedGroupMessage,
  sendMessageResponse,
  status,
} from "../../codec/ssp/mod.ts";
import type { XmlElement } from "../../codec/xml/tree.ts";
import { GROUP_COPY_SETTLED } from "../../federation/queue.ts";
import type { SspTransport } from "../../federation/relay.ts";
import type { ServerContext } from "../../session/handler.ts";
import { describe, ProtocolError } from "../../session/status.ts";
import type { Mutation } from "../../store/kv.ts";
import type { Draft } from "./compose.ts";
import { deliverToGroup, sendToGroups } from "./group_delivery.ts";
import type { GroupAddressing, GroupRecipient } from "../shared/group_messages.ts";
import { parseGroupId, parseUserId, type UserAddress } from "../shared/ids.ts";
import type { RecipientOutcome } from "../shared/outcomes.ts";
import { GROUP_NOTICE_TARGETS, SEEN_REMEMBERED_MS } from "../relay/limits.ts";
import { relayedContent, relayedDraft } from "../relay/relayed_content.ts";

interface SeenRecord {
  code: number;
  description?: string;
}

const postSeenKey = (peer: string, messageId: string) => ["relay", "group", "in", peer, messageId];
const copySeenKey = (peer: string, messageId: string) => [
  "relay",
  "group",
  "copy",
  peer,
  messageId,
];

/** A peer's SendMessageRequest to or from a group: a member posting to one of our groups, or
 * a group of the peer's passing a message to our users. */
export function receiveGroupMessage(
  server: ServerContext,
  peer: string,
  p: XmlElement,
): Promise<XmlElement> {
  const m = readGroupMessageRequest(p);
  if ("code" in m) {
    const messageId = p.children.find((c) => c.name === "MessageInfo")?.attrs.messageID ?? "";
    return Promise.resolve(sendMessageResponse(messageId, status(m.code, m.description)));
  }
  const { domain } = server.config;
  return parseGroupId(m.groupId, domain)?.domain === domain
    ? receivePost(server, peer, m)
    : receiveCopy(server, peer, m);
}

/** A member's message to one of our groups: delivered as if the member had sent it here. */
async function receivePost(
  server: ServerContext,
  peer: string,
  m: RelayedGroupMessage,
): Promise<XmlElement> {
  const sender = m.sender === undefined ? undefined : parseUserId(m.sender, peer);
  if (!sender || sender.domain !== peer) {
    return sendMessageResponse(m.messageId, status(402, "Sender is not of the requesting domain"));
  }
  const { domain } = server.config;
  const address = parseGroupId(m.groupId, domain);
  if (!address) return sendMessageResponse(m.messageId, status(800, "Group does not exist"));
  if (address.domain !== domain) {
    return sendMessageResponse(
      m.messageId,
      status(516, `Domain ${address.domain} is not served here`),
    );
  }
  // A peer that did not hear our answer sends again: it gets the same answer, no second copy.
  const key = postSeenKey(peer, m.messageId);
  const seen = await server.store.get<SeenRecord>(key);
  if (seen) return sendMessageResponse(m.messageId, status(seen.code, seen.description));

  let outcome: SeenRecord;
  try {
    const { draft, content } = relayedDraft(m, sender.id, false, server.config);
    const [result] = await sendToGroups(server, draft, content, [
      {
        groupId: address.id,
        ...(m.recipientName !== undefined ? { screenName: m.recipientName } : {}),
      },
    ]);
    outcome = { code: result.code, description: result.description };
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    outcome = { code: error.code, description: error.message };
  }
  await server.store.write({ type: "set", key, value: outcome, expireIn: SEEN_REMEMBERED_MS });
  return sendMessageResponse(m.messageId, status(outcome.code, outcome.description));
}

/** The copies of a group message for joined users of other domains, one request per domain. */
export async function relayCopies(
  server: ServerContext,
  transport: SspTransport,
  draft: Draft,
  content: string,
  addressing: GroupAddressing,
  receivers: UserAddress[],
): Promise<void> {
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
 * A local user's message to a group of another domain, queued for the group's server, which
 * decides who gets it. Only a user who joined through here may post (808 otherwise).
 */
export async function relayToGroup(
  server: ServerContext,
  transport: SspTransport,
  draft: Draft,
  content: string,
  recipient: GroupRecipient,
): Promise<RecipientOutcome> {
  const address = parseGroupId(recipient.groupId, server.config.domain)!;
  const outcome = (code: number, description?: string): RecipientOutcome => ({
    kind: "GroupID",
    id: address.id,
    code,
    ...(description ? { description } : {}),
  });
  if (!transport.allowed(address.domain)) {
    return outcome(516, `Domain ${address.domain} is not federated with`);
  }
  const joined = await server.hooks.groupMessaging?.joinedRemotely(address.id, [draft.sender]);
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

/** A copy of a group message for our joined users: delivered as a local group's would be. */
async function receiveCopy(
  server: ServerContext,
  peer: string,
  m: RelayedGroupMessage,
): Promise<XmlElement> {
  const group = parseGroupId(m.groupId, peer);
  if (!group || group.domain !== peer) {
    return sendMessageResponse(
      m.messageId,
      status(402, "The group is not of the requesting domain"),
    );
  }
  if (m.senderName === undefined) {
    return sendMessageResponse(m.messageId, status(400, "The sender's screen name is missing"));
  }
  const key = copySeenKey(peer, m.messageId);
  const seen = await server.store.get<XmlElement>(key);
  if (seen) return sendMessageResponse(m.messageId, seen);

  const { domain } = server.config;
  const named = (m.receivers ?? []).slice(0, GROUP_NOTICE_TARGETS);
  const ours = named.map((raw) => {
    const address = parseUserId(raw, domain);
    return address?.domain === domain ? address.id : undefined;
  });
  const members = new Set(
    await server.hooks.groupMessaging?.joinedRemotely(
      group.id,
      ours.filter((u): u is string => u !== undefined),
    ) ?? [],
  );
  const joined: string[] = [];
  const strangers: string[] = [];
  named.forEach((raw, i) => {
    const user = ours[i];
    if (user && members.has(user)) joined.push(user);
    else strangers.push(raw);
  });
  let answer: XmlElement;
  try {
    // The group stands in for the sender, whose UserID the group's server does not reveal.
    const { draft, content } = relayedDraft(m, group.id, false, server.config);
    const addressing = {
      groupId: group.id,
      senderName: m.senderName,
      ...(m.recipientName !== undefined ? { recipientName: m.recipientName } : {}),
    };
    await deliverToGroup(server, draft, content, { addressing, receivers: joined });
    answer = strangers.length === 0 ? status(200, describe(200)) : status(
      joined.length > 0 ? 201 : 808,
      joined.length > 0 ? describe(201) : "Group is not joined",
      [{ code: 808, description: "Group is not joined", userIds: strangers }],
    );
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    answer = status(error.code, error.message);
  }
  await server.store.write({ type: "set", key, value: answer, expireIn: SEEN_REMEMBERED_MS });
  return sendMessageResponse(m.messageId, answer);
}
