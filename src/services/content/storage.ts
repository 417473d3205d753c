/**
 * What the shared-content element keeps, declared for its routes: each stored item with its
 * bytes, each owner's usage for the quota, and whom each item is shared with. `repo.ts` keeps it
 * in Deno KV.
 */
import type { Mutation } from "../../store/kv.ts";

export interface ContentItem {
  id: string;
  owner: string;
  contentType: string;
  size: number;
  createdAt: number;
}

export interface Usage {
  bytes: number;
  items: number;
}

export type GrantKind = "user" | "group";

/** The owner's usage kept changing while an upload or delete tried to count itself in. */
export class UsageBusy extends Error {
  constructor() {
    super("Content usage kept changing: try again");
  }
}

/** Shared content, as the element's routes use it. */
export interface ContentStorage {
  get(id: string): Promise<ContentItem | undefined>;

  usage(owner: string): Promise<Usage>;

  /**
   * Stores the bytes, then the item with the owner's new usage, each commit within KV limits.
   * The usage is read again and checked against `fits` in the commit that counts the item, so
   * uploads at once can neither pass the quota together nor lose each other's count. "full" (the
   * bytes are removed again) or "busy" (the usage kept changing under it) store nothing.
   */
  create(
    item: ContentItem,
    bytes: Uint8Array,
    fits: (usage: Usage) => boolean,
  ): Promise<"stored" | "full" | "busy">;

  bytes(item: ContentItem): Promise<Uint8Array<ArrayBuffer>>;

  isGranted(id: string, kind: GrantKind, subject: string): Promise<boolean>;

  groupGrants(id: string): Promise<string[]>;

  grantMutation(id: string, kind: GrantKind, subject: string): Mutation;

  /** Removes the item (it disappears first), its grants and bytes, and gives back its quota. */
  delete(item: ContentItem): Promise<void>;
}
