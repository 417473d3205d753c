/**
 * Where other elements take over delivery: the server-to-server relay for other domains
 * (`server.hooks.sspRelay`; without it each of those recipients gets 516 rather than a pretended
 * success) and the group element for group recipients (through `server.hooks.groupMessaging`).
 */
import type { ServerContext } from "../../session/server_context.ts";
import type { Mutation } from "../../store/kv.ts";
import type { SessionRecord } from "../../store/sessions.ts";
import { parseUserId, type UserAddress } from "../../util/userid.ts";
import type { Draft } from "./compose.ts";
import { type BlockRecord, BlockRepo } from "./blocking.ts";
import {
  mailboxOf,
  pushedGroupCopy,
  pushedGroupCopyMutations,
  pushesEverywhere,
  takesFrom,
  writeGroups,
} from "./delivery.ts";
import type { PresentedMessage } from "./presentation.ts";
import type { Audience } from "../content/sharing.ts";

export interface RecipientOutcome {
  /** The DetailedResult child that names the recipient. */
  kind: "UserID" | "GroupID" | "ContactList";
  id: string;
  code: number;
  description?: string;
}

/**
 * Recipients of other domains: with federation on, the server-to-server relay (SSP) takes the
 * message for each peer domain (stored before this resolves) and answers per recipient, 516 for
 * a domain it does not federate with; without federation every one gets 516.
 */
export function relayToRemoteDomains(
  server: ServerContext,
  message: Draft,
  content: string,
  recipients: UserAddress[],
): Promise<RecipientOutcome[]> {
  // The SSP relay, when federation is on, queues the message for each peer domain.
  const relay = server.hooks.sspRelay;
  if (relay && recipients.length > 0) return relay.relayMessage(message, content, recipients);
  return Promise.resolve(recipients.map((r) => ({
    kind: "UserID" as const,
    id: r.id,
    code: 516,
    description: `Domain ${r.domain} is not served by this server`,
  })));
}

/** A `Recipient/Group`: the whole group, or one member by screen name (a private message). */
export interface GroupRecipient {
  groupId: string;
  screenName?: string;
}

/** How a message to a group presents itself to its receivers (MessageInfo Recipient/Sender). */
export interface GroupAddressing {
  groupId: string;
  /** The sender's screen name in the group, shown instead of their UserID. */
  senderName: string;
  /** Set for a private message: the one member it is for. */
  recipientName?: string;
}

/** Who receives a group message: joined users, of this domain or others (never the sender). */
export interface GroupAudience {
  addressing: GroupAddressing;
  receivers: string[];
}

/** A group of another domain: its own server decides who receives (the relay carries it). */
export interface RemoteGroup {
  groupId: string;
  domain: string;
}

export interface GroupRefusal {
  code: number;
  description?: string;
}

/** What the group element offers IM; `server.hooks.groupMessaging`. */
export interface GroupMessaging {
  /** The receivers of a message from `sender` to `recipient`, or why it may not be sent. */
  audience(
    sender: string,
    recipient: GroupRecipient,
  ): Promise<GroupAudience | GroupRefusal | RemoteGroup>;
}

declare module "../../session/server_context.ts" {
  interface ServiceHooks {
    groupMessaging?: GroupMessaging;
  }
}

/**
 * Mutations that let `audience` read the stored content `sharer` owns among what the message
 * text names (`server.hooks.sharedContent`, the content element; none without it).
 */
export async function shareMutations(
  server: ServerContext,
  sharer: string,
  content: string,
  audience: Audience,
): Promise<Mutation[]> {
  return await server.hooks.sharedContent?.shareMutations(sharer, [content], audience) ?? [];
}

/**
 * Group recipients: each receiver of the group (as the group element resolves them) gets a copy
 * queued to their sessions (see deliverToGroup), presented as coming from the sender's screen
 * name in the group. Without the group element every group gets 405. Group copies carry no
 * delivery report: it would name members' UserIDs.
 */
export async function sendToGroups(
  server: ServerContext,
  message: Draft,
  content: string,
  recipients: GroupRecipient[],
  /** Who sends it now, whose stored content it names becomes readable (see distribute). */
  sharer: string = message.sender,
): Promise<RecipientOutcome[]> {
  const groups = server.hooks.groupMessaging;
  const outcomes: RecipientOutcome[] = [];
  const seen = new Set<string>();
  for (const recipient of recipients) {
    const key = `${sameGroupKey(recipient.groupId)}\n${recipient.screenName?.toLowerCase() ?? ""}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (!groups) {
      outcomes.push({ kind: "GroupID", id: recipient.groupId, ...GROUP_MESSAGING_UNAVAILABLE });
      continue;
    }
    // Whoever posts it now must be joined and is shown: the forwarder, for a forward.
    const audience = await groups.audience(sharer, recipient);
    if ("code" in audience) {
      outcomes.push({ kind: "GroupID", id: recipient.groupId, ...audience });
      continue;
    }
    if ("domain" in audience) {
      outcomes.push(await relayToRemoteGroup(server, message, content, recipient, audience));
      continue;
    }
    await deliverToGroup(server, message, content, audience, sharer);
    outcomes.push({ kind: "GroupID", id: audience.addressing.groupId, code: 200 });
  }
  return outcomes;
}

/**
 * A group of another domain: the relay takes the message to the group's server (stored before
 * this resolves), which hands it to the group's joined users; without the relay, 516.
 */
async function relayToRemoteGroup(
  server: ServerContext,
  message: Draft,
  content: string,
  recipient: GroupRecipient,
  group: RemoteGroup,
): Promise<RecipientOutcome> {
  const relay = server.hooks.sspRelay;
  if (relay) {
    return await relay.relayToGroup(message, content, { ...recipient, groupId: group.groupId });
  }
  return {
    kind: "GroupID",
    id: group.groupId,
    code: 516,
    description: `Domain ${group.domain} is not served by this server`,
  };
}

/**
 * Copies of a group message for its receivers: local ones get it in their sessions (also what
 * the relay does with the copies a group of another domain sends our users); those of other
 * domains are handed to the relay, which takes them to their servers. A receiver whose every
 * session takes the message pushed gets only those queue entries, one mutation per session (the
 * copy ends with the sessions, as joining the group does); any other gets a mailbox copy queued
 * to their sessions, exactly as a message to them alone. Stored content of `sharer` the message
 * names becomes readable by the group (a private message: by its one receiver), committed no
 * later than the copies.
 */
export async function deliverToGroup(
  server: ServerContext,
  draft: Draft,
  content: string,
  { addressing, receivers: all }: GroupAudience,
  sharer: string = draft.sender,
): Promise<void> {
  const { domain } = server.config;
  const remote: UserAddress[] = [];
  const receivers: string[] = [];
  for (const receiver of all) {
    const address = parseUserId(receiver, domain);
    if (address && address.domain !== domain) remote.push(address);
    else receivers.push(receiver);
  }
  if (remote.length > 0) {
    await server.hooks.sspRelay?.relayGroupCopies(draft, content, addressing, remote);
  }
  const mailbox = mailboxOf(server);
  // Every receiver's reads are independent: each kind goes out for all receivers at once (the
  // store batches them), rather than one receiver after another.
  const [blockLists, sessionLists] = await Promise.all([
    new BlockRepo(server.store).getMany(receivers),
    Promise.all(receivers.map((receiver) => server.sessions.repo.listByUser(receiver))),
  ]);
  // A forward is refused by a receiver who blocks its original sender or its forwarder.
  const senders = [...new Set([draft.sender, sharer])];
  const taking = receivers.map((_, i) =>
    senders.every((sender) => !blocksGroupSender(blockLists[i], sender, addressing.groupId))
  );
  const prefs = await mailbox.prefsOf(
    sessionLists.flatMap((sessions, i) => taking[i] ? sessions.map((s) => s.id) : []),
  );
  // Read access to stored content the message names: for the group, or for a private message
  // its receiver; committed first, before any copy.
  const shares = addressing.recipientName === undefined
    ? await shareMutations(server, sharer, content, { groups: [addressing.groupId] })
    : [];
  const queuedOnly: SessionRecord[] = [];
  const mailboxCopies = await Promise.all(receivers.map(async (receiver, i) => {
    if (!taking[i]) return [];
    if (addressing.recipientName !== undefined) {
      shares.push(...await shareMutations(server, sharer, content, { users: [receiver] }));
    }
    const sessions = sessionLists[i];
    if (pushesEverywhere(sessions, prefs, draft.size)) {
      // Each session's queue is bounded as a mailbox is: one that is full misses the copy.
      const { mailboxSize } = server.config;
      const room = await Promise.all(sessions.map((s) => server.outbox.hasRoom(s.id, mailboxSize)));
      queuedOnly.push(...sessions.filter((_, j) => room[j]));
      return [];
    }
    // A full mailbox misses group traffic rather than growing without bound.
    if (!await takesFrom(server, receiver, draft.sender, draft.size)) return [];
    const copy: PresentedMessage & { content: string } = {
      ...draft,
      recipient: receiver,
      deliveryReport: false,
      group: addressing,
      content,
    };
    return mailbox.storeMutations(copy);
  }));
  // Every copy that skips the mailbox is the same entry: it presents the group, not its receiver.
  const pushed = pushedGroupCopy(
    { ...draft, recipient: addressing.groupId, deliveryReport: false, group: addressing },
    content,
  );
  const queued = await pushedGroupCopyMutations(server, queuedOnly, pushed);
  await writeGroups(
    server.store,
    [...mailboxCopies.filter((g) => g.length > 0), ...queued],
    shares,
  );
}

/**
 * A receiver's block list shuts out the sender's user or the whole group. The grant list is not
 * asked: joining the group is the receiver's consent to hear its members.
 */
function blocksGroupSender(record: BlockRecord, sender: string, groupId: string): boolean {
  if (!record.blockInUse) return false;
  const key = sameGroupKey(groupId);
  return record.block.UserID.includes(sender) ||
    record.block.GroupID.some((blocked) => sameGroupKey(blocked) === key);
}

/** Group ids compare case-insensitively, with or without their `wv:` prefix. */
export function sameGroupKey(groupId: string): string {
  const id = groupId.trim().toLowerCase();
  return id.startsWith("wv:") ? id : `wv:${id}`;
}

/** Without the group element, group recipients get this. */
export const GROUP_MESSAGING_UNAVAILABLE = {
  code: 405,
  description: "Group messaging is not offered by this server",
};

/** SetDeliveryMethod for one group's messages: each session has one method for everything. */
export const GROUP_DELIVERY_METHOD_UNAVAILABLE = {
  code: 405,
  description: "A delivery method per group is not offered; the session's method applies",
};
