/**
 * Shared content in KV, all under `["content", ...]`:
 *
 * - `item, id` → what is stored (`ContentItem`); written last, so a half-written upload is
 *   never visible
 * - `chunk, id, n` → the bytes, `CHUNK_BYTES` per value (KV values are at most 64 KiB)
 * - `usage, owner` → bytes and items the owner keeps, for the quota
 * - `grant, id, user|group, subject` → who the owner shared the item with
 */
import { check, CommitConflict, del, type Mutation, set, type Store } from "../../store/kv.ts";
import { CHUNK_BYTES, CHUNKS_PER_COMMIT } from "./limits.ts";
import {
  type ContentItem,
  type ContentStorage,
  type GrantKind,
  type Usage,
  UsageBusy,
} from "./storage.ts";

const itemKey = (id: string) => ["content", "item", id];
const chunkKey = (id: string, n: number) => ["content", "chunk", id, n];
const usageKey = (owner: string) => ["content", "usage", owner];
const grantKey = (id: string, kind: GrantKind, subject: string) => [
  "content",
  "grant",
  id,
  kind,
  subject,
];

const chunkCount = (size: number) => Math.ceil(size / CHUNK_BYTES);

/** How often a usage change is tried again while other uploads or deletes move the usage. */
const USAGE_ATTEMPTS = 16;

/** The storage of `storage.ts` over Deno KV. */
export class ContentRepo implements ContentStorage {
  constructor(private readonly store: Store) {}

  get(id: string): Promise<ContentItem | undefined> {
    return this.store.get<ContentItem>(itemKey(id));
  }

  async usage(owner: string): Promise<Usage> {
    return await this.store.get<Usage>(usageKey(owner)) ?? { bytes: 0, items: 0 };
  }

  async create(
    item: ContentItem,
    bytes: Uint8Array,
    fits: (usage: Usage) => boolean,
  ): Promise<"stored" | "full" | "busy"> {
    const chunks: Mutation[] = [];
    for (let n = 0; n < chunkCount(bytes.length); n++) {
      chunks.push(set(chunkKey(item.id, n), bytes.slice(n * CHUNK_BYTES, (n + 1) * CHUNK_BYTES)));
    }
    let outcome: "stored" | "full" | "busy" = "busy";
    try {
      for (let i = 0; i < chunks.length; i += CHUNKS_PER_COMMIT) {
        await this.store.write(...chunks.slice(i, i + CHUNKS_PER_COMMIT));
      }
      outcome = await this.#changeUsage(item.owner, (usage) => {
          const next = { bytes: usage.bytes + item.size, items: usage.items + 1 };
          return fits(next) ? [set(itemKey(item.id), item), set(usageKey(item.owner), next)] : null;
        })
        ? "stored"
        : "full";
    } catch (error) {
      if (!(error instanceof UsageBusy)) throw error;
    } finally {
      if (outcome !== "stored") await this.#deleteChunks(item).catch(() => {});
    }
    return outcome;
  }

  /**
   * Commits what `change` makes of the owner's current usage (null: nothing), holding only while
   * the usage is still what was read, and `item` (when given) still exists as read; read again
   * and retried when one moved. True once committed, false when `change` declined or the item is
   * gone; throws UsageBusy after USAGE_ATTEMPTS moves.
   */
  async #changeUsage(
    owner: string,
    change: (usage: Usage) => Mutation[] | null,
    item?: string,
  ): Promise<boolean> {
    for (let attempt = 0; attempt < USAGE_ATTEMPTS; attempt++) {
      const [usage, existing] = await Promise.all([
        this.store.getEntry<Usage>(usageKey(owner)),
        item === undefined ? undefined : this.store.getEntry<ContentItem>(itemKey(item)),
      ]);
      if (item !== undefined && !existing) return false;
      const mutations = change(usage?.value ?? { bytes: 0, items: 0 });
      if (!mutations) return false;
      const held = [check(usageKey(owner), usage?.versionstamp ?? null)];
      if (existing) held.push(check(itemKey(item!), existing.versionstamp));
      try {
        await this.store.write(...held, ...mutations);
        return true;
      } catch (error) {
        if (!(error instanceof CommitConflict)) throw error;
      }
    }
    throw new UsageBusy();
  }

  async bytes(item: ContentItem): Promise<Uint8Array<ArrayBuffer>> {
    const out = new Uint8Array(item.size);
    for (const { key, value } of await this.store.list<Uint8Array>(["content", "chunk", item.id])) {
      out.set(value, Number(key[3]) * CHUNK_BYTES);
    }
    return out;
  }

  async isGranted(id: string, kind: GrantKind, subject: string): Promise<boolean> {
    return await this.store.get<boolean>(grantKey(id, kind, subject)) !== undefined;
  }

  async groupGrants(id: string): Promise<string[]> {
    return (await this.store.list(["content", "grant", id, "group"])).map((e) => String(e.key[4]));
  }

  grantMutation(id: string, kind: GrantKind, subject: string): Mutation {
    return set(grantKey(id, kind, subject), true);
  }

  async delete(item: ContentItem): Promise<void> {
    await this.#changeUsage(item.owner, (usage) => [
      del(itemKey(item.id)),
      set(usageKey(item.owner), {
        bytes: Math.max(0, usage.bytes - item.size),
        items: Math.max(0, usage.items - 1),
      }),
    ], item.id);
    const grants = await this.store.list(["content", "grant", item.id]);
    for (let i = 0; i < grants.length; i += 500) {
      await this.store.write(...grants.slice(i, i + 500).map((e) => del(e.key)));
    }
    await this.#deleteChunks(item);
  }

  async #deleteChunks(item: ContentItem): Promise<void> {
    const keys = [];
    for (let n = 0; n < chunkCount(item.size); n++) keys.push(del(chunkKey(item.id, n)));
    for (let i = 0; i < keys.length; i += 500) await this.store.write(...keys.slice(i, i + 500));
  }
}
