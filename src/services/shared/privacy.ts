/**
 * Block and grant lists (digest §2.3): what IM keeps for each user (BlockEntity) and what both
 * messaging and presence obey. With the block list in use, its users may not send to the owner
 * nor see the owner's presence; with the grant list in use, only its users may.
 */

/** What a list may name (digest §2.3 EntityList). Only UserIDs decide for now: groups and
 * contact lists are kept and shown. */
export interface EntityList {
  UserID: string[];
  GroupID: string[];
  ContactList: string[];
  ApplicationID: string[];
  ScreenName: { SName: string; GroupID: string }[];
}

export interface BlockRecord {
  blockInUse: boolean;
  grantInUse: boolean;
  block: EntityList;
  grant: EntityList;
}

export const emptyEntityList = (): EntityList => ({
  UserID: [],
  GroupID: [],
  ContactList: [],
  ApplicationID: [],
  ScreenName: [],
});

/** Whether a block record (its block list, or a grant list in use that leaves them out) shuts
 * `otherUserId` out. */
export function blocks(record: BlockRecord, otherUserId: string): boolean {
  if (record.blockInUse && record.block.UserID.includes(otherUserId)) return true;
  return record.grantInUse && !record.grant.UserID.includes(otherUserId);
}
