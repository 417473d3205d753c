/**
 * What the group element offers the fundamental features (search, invitations) and shared
 * content: they ask through `server.hooks.groupDirectory`, so neither imports the other's storage.
 */
export type GroupSearchKey =
  | "GROUP_ID"
  | "GROUP_NAME"
  | "GROUP_TOPIC"
  | "GROUP_USER_ID_JOINED"
  | "GROUP_USER_ID_OWNER"
  | "GROUP_USER_ID_AUTOJOIN";

export interface GroupSearchCriterion {
  key: GroupSearchKey;
  value: string;
}

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

declare module "../../session/handler.ts" {
  interface ServiceHooks {
    groupDirectory?: GroupDirectory;
  }
}
