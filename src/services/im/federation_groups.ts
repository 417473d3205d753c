/**
 * Group messages peers send us: a remote member's post to one of our groups, and the copies a
 * group of another domain sends our joined users. (Ours to other domains: `federation_outbound.ts`.)
 */
import {
  readGroupMessageRequest,
  type RelayedGroupMessage,
  sendMessageResponse,
  status,
} from "../../codec/ssp/mod.ts";
import type { XmlElement } from "../../codec/xml/tree.ts";
import { describe, ProtocolError } from "../../session/status.ts";
import { parseGroupId, parseUserId } from "../shared/ids.ts";
import type { Im } from "./element.ts";
import { deliverToGroup, sendToGroups } from "./group_delivery.ts";
import { GROUP_COPY_TARGETS, SEEN_REMEMBERED_MS } from "./limits.ts";
import { relayedDraft } from "./relayed_content.ts";

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
export function receiveGroupMessage(im: Im, peer: string, p: XmlElement): Promise<XmlElement> {
  const m = readGroupMessageRequest(p);
  if ("code" in m) {
    const messageId = p.children.find((c) => c.name === "MessageInfo")?.attrs.messageID ?? "";
    return Promise.resolve(sendMessageResponse(messageId, status(m.code, m.description)));
  }
  const { domain } = im.server.config;
  return parseGroupId(m.groupId, domain)?.domain === domain
    ? receivePost(im, peer, m)
    : receiveCopy(im, peer, m);
}

/** A member's message to one of our groups: delivered as if the member had sent it here. */
async function receivePost(im: Im, peer: string, m: RelayedGroupMessage): Promise<XmlElement> {
  const { server } = im;
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
    const [result] = await sendToGroups(im, draft, content, [
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

/** A copy of a group message for our joined users: delivered as a local group's would be. */
async function receiveCopy(im: Im, peer: string, m: RelayedGroupMessage): Promise<XmlElement> {
  const { server } = im;
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
  const named = (m.receivers ?? []).slice(0, GROUP_COPY_TARGETS);
  const ours = named.map((raw) => {
    const address = parseUserId(raw, domain);
    return address?.domain === domain ? address.id : undefined;
  });
  const members = new Set(
    await im.hooks.groups?.joinedRemotely(
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
    await deliverToGroup(im, draft, content, { addressing, receivers: joined });
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
