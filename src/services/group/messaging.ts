/**
 * The group side of group messaging, offered to IM (which stores and queues the copies): only a
 * joined user may post, and a message reaches every other joined user under the sender's screen
 * name; a private message (Recipient/Group/ScreenName) reaches the one member holding that name,
 * where the group's PrivateMessaging and the member's own PrivateMessaging allow it. Receivers
 * may be users of other domains (IM sends them copies through their servers); a group of another
 * domain is answered as such, for IM to send the message to its server.
 */
import type {
  GroupAudience,
  GroupRecipient,
  GroupRefusal,
  RemoteGroup,
} from "../shared/group_messages.ts";
import {
  GROUP_DOES_NOT_EXIST,
  GROUP_TEXT,
  NOT_JOINED,
  PRIVATE_MESSAGING_DISABLED,
  PRIVATE_MESSAGING_REFUSED,
  REJECTED,
} from "./codes.ts";
import { parseGroupId } from "../shared/ids.ts";
import type { Groups } from "./element.ts";
import { joinedRemotely } from "./federation_member.ts";

const refusal = (code: number, description = GROUP_TEXT[code]): GroupRefusal => ({
  code,
  description,
});

/** What the group element offers IM. */
export interface GroupMessaging {
  /** The receivers of a message from `sender` to `recipient`, or why it may not be sent, or the
   * group's own server when it is of another domain. */
  audience(
    sender: string,
    recipient: GroupRecipient,
  ): Promise<GroupAudience | GroupRefusal | RemoteGroup>;
  /** Those of `users` (ours) joined to `groupId` of another domain through this server. */
  joinedRemotely(groupId: string, users: readonly string[]): Promise<string[]>;
}

export function groupMessaging(g: Groups): GroupMessaging {
  const { server, repo } = g;
  return {
    joinedRemotely: (groupId, users) => joinedRemotely(g, groupId, users),
    async audience(sender, recipient) {
      const { domain } = server.config;
      const address = parseGroupId(recipient.groupId, domain);
      if (!address) return refusal(GROUP_DOES_NOT_EXIST);
      // A group of another domain: its own server decides.
      if (address.domain !== domain) return { groupId: address.id, domain: address.domain };
      const [group, record, rejected, role] = await Promise.all([
        repo.group(address.id),
        repo.joinedRecord(address.id, sender),
        repo.isRejected(address.id, sender),
        repo.role(address.id, sender),
      ]);
      const outsider = !record && role === undefined;
      if (!group || (group.properties.Type === "Private" && outsider)) {
        return refusal(GROUP_DOES_NOT_EXIST);
      }
      if (rejected) return refusal(REJECTED);
      if (!record) return refusal(NOT_JOINED);
      const addressing = { groupId: group.id, senderName: record.screenName };
      if (recipient.screenName === undefined) {
        const joined = await repo.joined(group.id);
        return { addressing, receivers: joined.map((j) => j.user).filter((u) => u !== sender) };
      }
      if (group.properties.PrivateMessaging !== "T") return refusal(PRIVATE_MESSAGING_DISABLED);
      const holder = await repo.screenNameHolder(group.id, recipient.screenName.trim());
      const target = holder && await repo.joinedRecord(group.id, holder);
      if (!target) return refusal(531, "No joined user has that screen name");
      if ((await repo.own(group.id, target.user)).PrivateMessaging === "F") {
        return refusal(PRIVATE_MESSAGING_REFUSED);
      }
      return {
        addressing: { ...addressing, recipientName: target.screenName },
        receivers: target.user === sender ? [] : [target.user],
      };
    },
  };
}
