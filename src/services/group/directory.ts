/**
 * The group directory other elements consult (their hooks): search over public searchable
 * groups, and the membership questions of invitations and shared content.
 */
import { parseGroupId, parseUserId } from "../shared/ids.ts";
import { GROUP_DOES_NOT_EXIST, NOT_JOINED, REJECTED } from "./codes.ts";
import { MAX_SEARCH_RESULTS } from "./limits.ts";
import type { Groups } from "./element.ts";
import type { GroupRecord } from "./storage.ts";

/** What the group element offers search, invitations and shared content. */
export interface GroupDirectory {
  /** Searchable groups matching every criterion, sorted by group id, at most `limit`. */
  search(criteria: readonly GroupSearchCriterion[], limit: number): Promise<string[]>;
  /** The status code that stops `userId` inviting others to `groupId` (800 unknown group, ...),
   * or undefined when the invitation may go out. */
  checkInviter(groupId: string, userId: string): Promise<number | undefined>;
  /** Whether `userId` belongs to `groupId` (member or joined): content shared with the group. */
  isMember(groupId: string, userId: string): Promise<boolean>;
  /** An accepted group invitation: the invitee may now join even a restricted group. */
  admitInvitee(groupId: string, userId: string): Promise<void>;
}

/** A search criterion: a group SearchElement (GROUP_ID, GROUP_NAME, …) and its SearchString. */
export interface GroupSearchCriterion {
  key: string;
  value: string;
}

export function groupDirectory({ server, repo }: Groups): GroupDirectory {
  const { domain } = server.config;
  const groupIdOf = (raw: string) => parseGroupId(raw, domain)?.id;
  const userIdOf = (raw: string) => parseUserId(raw, domain)?.id ?? raw.trim().toLowerCase();

  const contains = (text: string | undefined, wanted: string) =>
    text !== undefined && text.toLowerCase().includes(wanted.trim().toLowerCase());

  async function matches(group: GroupRecord, { key, value }: GroupSearchCriterion) {
    switch (key) {
      case "GROUP_ID":
        return contains(group.id, value);
      case "GROUP_NAME":
        return contains(group.properties.Name, value);
      case "GROUP_TOPIC":
        return contains(group.properties.Topic, value);
      case "GROUP_USER_ID_JOINED":
        return !!await repo.joinedRecord(group.id, userIdOf(value));
      case "GROUP_USER_ID_OWNER":
        return group.owner === userIdOf(value);
      case "GROUP_USER_ID_AUTOJOIN":
        return (await repo.autoJoins(userIdOf(value))).some((a) => a.groupId === group.id);
      default:
        return false;
    }
  }

  return {
    async search(criteria, limit) {
      const found: string[] = [];
      const wanted = Math.min(limit, MAX_SEARCH_RESULTS);
      // Groups list in id order, so the first `wanted` matches are the answer.
      for (const group of await repo.allGroups()) {
        if (found.length >= wanted) break;
        const { Type, Searchable } = group.properties;
        if (Type !== "Public" || Searchable !== "T") continue;
        let all = true;
        for (const criterion of criteria) all &&= await matches(group, criterion);
        if (all) found.push(group.id);
      }
      return found;
    },

    async checkInviter(groupId, userId) {
      const id = groupIdOf(groupId);
      const user = userIdOf(userId);
      const [group, role, joined, rejected] = id
        ? await Promise.all([
          repo.group(id),
          repo.role(id, user),
          repo.joinedRecord(id, user),
          repo.isRejected(id, user),
        ])
        : [];
      const insider = role !== undefined || joined !== undefined;
      if (!group || (group.properties.Type === "Private" && !insider)) return GROUP_DOES_NOT_EXIST;
      if (rejected) return REJECTED;
      return insider ? undefined : NOT_JOINED;
    },

    async isMember(groupId, userId) {
      const id = groupIdOf(groupId);
      if (!id) return false;
      const user = userIdOf(userId);
      const [role, joined] = await Promise.all([repo.role(id, user), repo.joinedRecord(id, user)]);
      return role !== undefined || joined !== undefined;
    },

    async admitInvitee(groupId, userId) {
      const id = groupIdOf(groupId);
      const user = userIdOf(userId);
      // An invitation makes a member; it does not lift a ban.
      if (!id || !await repo.group(id) || await repo.role(id, user)) return;
      await server.store.write(repo.setRole(id, user, "User"));
    },
  };
}
