/**
 * Messages to groups: the group element says who receives (`hooks.groups`), IM stores and
 * queues the copies. A group of another domain gets the message through its server, and
 * receivers of other domains through theirs (`federation.ts`); a group's copies for our users
 * from another domain's server are delivered here like a local group's.
 */
import type { SessionRecord } from "../../store/sessions.ts";
import type { GroupAudience, GroupRecipient } from "../shared/group_messages.ts";
import { parseUserId, sameGroupKey, type UserAddress } from "../shared/ids.ts";
import type { RecipientOutcome } from "../shared/outcomes.ts";
import type { BlockRecord } from "../shared/privacy.ts";
import type { Draft } from "./compose.ts";
import {
  pushedGroupCopy,
  pushedGroupCopyMutations,
  pushesEverywhere,
  takesFrom,
  writeGroups,
} from "./delivery.ts";
import type { Im } from "./element.ts";
import { relayCopies, relayToGroup } from "./federation_outbound.ts";
import type { PresentedMessage } from "./presentation.ts";

/**
 * Group recipients: each receiver of the group (as the group element resolves them) gets a copy
 * queued to their sessions (see deliverToGroup), presented as coming from the sender's screen
 * name in the group. Without the group element every group gets 405. Group copies carry no
 * delivery report: it would name members' UserIDs.
 */
export async function sendToGroups(
  im: Im,
  message: Draft,
  content: string,
  recipients: GroupRecipient[],
  /** Who sends it now, whose stored content it names becomes readable (see distribute). */
  sharer: string = message.sender,
): Promise<RecipientOutcome[]> {
  const groups = im.hooks.groups;
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
      const remote = { ...recipient, groupId: audience.groupId };
      outcomes.push(await relayToGroup(im, message, content, remote, audience.domain));
      continue;
    }
    await deliverToGroup(im, message, content, audience, sharer);
    outcomes.push({ kind: "GroupID", id: audience.addressing.groupId, code: 200 });
  }
  return outcomes;
}

/**
 * Copies of a group message for its receivers: local ones get it in their sessions (also the
 * copies a group of another domain sends our users); those of other domains get it through their
 * servers. A receiver whose every
 * session takes the message pushed gets only those queue entries, one mutation per session (the
 * copy ends with the sessions, as joining the group does); any other gets a mailbox copy queued
 * to their sessions, exactly as a message to them alone. Stored content of `sharer` the message
 * names becomes readable by the group (a private message: by its one receiver), committed no
 * later than the copies.
 */
export async function deliverToGroup(
  im: Im,
  draft: Draft,
  content: string,
  { addressing, receivers: all }: GroupAudience,
  sharer: string = draft.sender,
): Promise<void> {
  const { server, mailbox } = im;
  const { domain } = server.config;
  const remote: UserAddress[] = [];
  const receivers: string[] = [];
  for (const receiver of all) {
    const address = parseUserId(receiver, domain);
    if (address && address.domain !== domain) remote.push(address);
    else receivers.push(receiver);
  }
  if (remote.length > 0) await relayCopies(im, draft, content, addressing, remote);
  // Every receiver's reads are independent: each kind goes out for all receivers at once (the
  // store batches them), rather than one receiver after another.
  const [blockLists, sessionLists] = await Promise.all([
    im.blocks.getMany(receivers),
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
    ? await im.shareMutations(sharer, content, { groups: [addressing.groupId] })
    : [];
  const queuedOnly: SessionRecord[] = [];
  const mailboxCopies = await Promise.all(receivers.map(async (receiver, i) => {
    if (!taking[i]) return [];
    if (addressing.recipientName !== undefined) {
      shares.push(...await im.shareMutations(sharer, content, { users: [receiver] }));
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
    if (!await takesFrom(im, receiver, draft.sender, draft.size)) return [];
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
    im,
    { ...draft, recipient: addressing.groupId, deliveryReport: false, group: addressing },
    content,
  );
  const queued = await pushedGroupCopyMutations(im, queuedOnly, pushed);
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
