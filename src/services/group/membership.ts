/**
 * Joining and leaving, shared by the primitives and by the server's own moves (a user's last
 * session ending, a kick, a ban, auto-join at login): the joined list and screen names change,
 * subscribed users get a GroupChangeNotice, and an AutoDelete group goes with its last user.
 */
import { ProtocolError } from "../../session/status.ts";
import type { Mutation } from "../../store/kv.ts";
import { GROUP_FULL, GROUP_TEXT, SCREEN_NAME_IN_USE } from "./codes.ts";
import { MAX_SCREEN_NAME } from "./limits.ts";
import type { Groups } from "./element.ts";
import { noticeMutations } from "./group_change_notice.ts";
import { hasControlCharacters } from "./properties.ts";
import type { GroupRecord, JoinedRecord } from "./storage.ts";

/** A screen name as given, checked: printable, bounded, not blank. */
export function checkScreenName(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const name = raw.trim();
  if (name === "" || [...name].length > MAX_SCREEN_NAME || hasControlCharacters(name)) {
    throw new ProtocolError(402, `A screen name has 1 to ${MAX_SCREEN_NAME} printable characters`);
  }
  return name;
}

/** The name a user joins with when they give none: the user part of their UserID. */
export const defaultScreenName = (user: string) => user.replace(/^wv:/, "").replace(/@.*$/, "");

/**
 * Mutations that join `user` (not joined yet) with `screenName`, and tell the subscribed. Throws
 * 817 when the group is full and 811 when another user holds the name.
 */
export async function joinMutations(
  g: Groups,
  group: GroupRecord,
  record: JoinedRecord,
): Promise<Mutation[]> {
  const { repo } = g;
  const [joined, holder, roles] = await Promise.all([
    repo.joined(group.id),
    repo.screenNameHolder(group.id, record.screenName),
    repo.members(group.id),
  ]);
  if (joined.length >= Number(group.properties.MaxActiveUsers)) {
    throw new ProtocolError(GROUP_FULL, GROUP_TEXT[GROUP_FULL]);
  }
  if (holder !== undefined && holder !== record.user) {
    throw new ProtocolError(SCREEN_NAME_IN_USE, GROUP_TEXT[SCREEN_NAME_IN_USE]);
  }
  return [
    ...repo.joinMutations(group.id, record),
    ...await noticeMutations(g, group, joined, roles, {
      joined: [{ screenName: record.screenName, user: record.user }],
    }, record.user),
  ];
}

/**
 * Mutations that take `record`'s user out of the group and tell the subscribed who remain; an
 * AutoDelete group left empty is deleted instead.
 */
export async function leaveMutations(
  g: Groups,
  group: GroupRecord,
  record: JoinedRecord,
): Promise<Mutation[]> {
  const { repo } = g;
  const [joined, roles] = await Promise.all([repo.joined(group.id), repo.members(group.id)]);
  const remaining = joined.filter((j) => j.user !== record.user);
  if (remaining.length === 0 && group.properties.AutoDelete === "T") {
    return await repo.deleteMutations(group);
  }
  return [
    ...repo.leaveMutations(group.id, record),
    ...await noticeMutations(g, group, remaining, roles, { left: [record.screenName] }),
  ];
}
