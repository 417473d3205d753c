/**
 * How a group's users appear in answers and notices, by version and by who looks: explicit
 * lists of UserIDs, and joined users by screen name, with their UserIDs only where the viewer
 * may see them.
 */
import type { CspVersion, ElementObject } from "../../codec/csp/message.ts";
import { atLeast, type Role } from "./properties.ts";
import type { GroupRecord } from "./storage.ts";

/** One joined user as others see them: the screen name, and the UserID where it may be shown. */
export interface JoinedUser {
  screenName: string;
  user: string;
}

/** `UserList{User{UserID}*}`: how answers list users. */
export const userList = (users: Iterable<string>): ElementObject => ({
  User: [...users].map((UserID) => ({ UserID })),
});

/** Whether a viewer of `role` sees members' UserIDs: Admins and Mods always, others by ShowID. */
export const seesUserIds = (group: GroupRecord, role: Role | undefined) =>
  atLeast(role, "Mod") || group.properties.ShowID === "T";

export const screenNames = (groupId: string, names: string[]) =>
  names.map((SName) => ({ SName, GroupID: groupId }));

/** Joined users in the shape of the version: 1.1 UserList of ScreenNames, 1.2+ UserMapList. */
export function joinedList(
  version: CspVersion,
  groupId: string,
  users: JoinedUser[],
  withIds: boolean,
): ElementObject {
  if (version === "1.1") {
    return { UserList: { ScreenName: screenNames(groupId, users.map((u) => u.screenName)) } };
  }
  return { UserMapList: { UserMapping: { Mapping: mappings(users, withIds) } } };
}

export function mappings(users: JoinedUser[], withIds: boolean): ElementObject[] {
  return users.map((u) =>
    withIds ? { SName: u.screenName, UserID: u.user } : { SName: u.screenName }
  );
}
