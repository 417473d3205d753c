/** What the content element needs of other elements; `services/mod.ts` fills it in. */

export interface ContentHooks {
  /** Group membership (the group element): content shared with a group is for its members.
   * Without it, content shared with groups is read by nobody but those it was shared with. */
  groups?: {
    /** Whether `userId` belongs to `groupId` (member or joined). */
    isMember(groupId: string, userId: string): Promise<boolean>;
  };
}
