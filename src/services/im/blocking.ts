/** Each user's block list and grant list (digest §2.3), kept by IM; `shared/privacy.ts` says
 * what they decide. */
import { set, type Store } from "../../store/kv.ts";
import { type BlockRecord, emptyEntityList } from "../shared/privacy.ts";
import { RECENT_MS } from "./limits.ts";
import type { BlockStorage } from "./storage.ts";

const blockKey = (owner: string) => ["im", "block", owner];

const emptyRecord = (): BlockRecord => ({
  blockInUse: false,
  grantInUse: false,
  block: emptyEntityList(),
  grant: emptyEntityList(),
});

/** The block lists over Deno KV. */
export class BlockRepo implements BlockStorage {
  constructor(private readonly store: Store) {}

  async get(owner: string): Promise<BlockRecord> {
    return await this.store.getServerOwned<BlockRecord>(blockKey(owner), RECENT_MS) ??
      emptyRecord();
  }

  getMany(owners: readonly string[]): Promise<BlockRecord[]> {
    return Promise.all(owners.map((owner) => this.get(owner)));
  }

  async put(owner: string, record: BlockRecord): Promise<void> {
    await this.store.write(set(blockKey(owner), record));
  }
}
