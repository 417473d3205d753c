/**
 * Each user's block list and grant list (digest §2.3). With the block list in use, its users may
 * not send to the owner; with the grant list in use, only its users may. Presence will ask the
 * same question through `isBlocked`.
 */
import type { ServerContext } from "../../session/handler.ts";
import { set, type Store } from "../../store/kv.ts";
import { RECENT_MS } from "./limits.ts";

/** What a list may name (digest §2.3 EntityList). Only UserIDs decide messaging for now:
 * groups and contact lists are kept and shown, and apply once those elements exist. */
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

const blockKey = (owner: string) => ["im", "block", owner];

const emptyRecord = (): BlockRecord => ({
  blockInUse: false,
  grantInUse: false,
  block: emptyEntityList(),
  grant: emptyEntityList(),
});

export class BlockRepo {
  constructor(private readonly store: Store) {}

  async get(owner: string): Promise<BlockRecord> {
    return await this.store.getServerOwned<BlockRecord>(blockKey(owner), RECENT_MS) ??
      emptyRecord();
  }

  /** The records of many owners (a group message's receivers): all read together, in the
   * store's batches, and kept like a single owner's. */
  getMany(owners: readonly string[]): Promise<BlockRecord[]> {
    return Promise.all(owners.map((owner) => this.get(owner)));
  }

  async put(owner: string, record: BlockRecord): Promise<void> {
    await this.store.write(set(blockKey(owner), record));
  }
}

/** True when `owner` does not accept messages (or presence requests) from `other`. */
export async function isBlocked(
  server: ServerContext,
  ownerUserId: string,
  otherUserId: string,
): Promise<boolean> {
  return blocks(await new BlockRepo(server.store).get(ownerUserId), otherUserId);
}

/** Whether a block record (its block list, or a grant list in use that leaves them out) shuts
 * `otherUserId` out. */
export function blocks(record: BlockRecord, otherUserId: string): boolean {
  if (record.blockInUse && record.block.UserID.includes(otherUserId)) return true;
  return record.grantInUse && !record.grant.UserID.includes(otherUserId);
}
