/**
 * Who may read an item: its owner, and whoever the owner shared it with by naming its URL in
 * something sent to them — a message, an invitation, a group's properties (then every member
 * of the group). The elements that carry such references share through `sharing` (their
 * hooks); only the owner's own references grant access, so forwarding a link does not widen who
 * may read it.
 */
import type { Mutation } from "../../store/kv.ts";
import type { Content } from "./element.ts";
import type { ContentItem } from "./storage.ts";

/** Who a reference was sent to. */
export interface Audience {
  users?: readonly string[];
  groups?: readonly string[];
}

/** What the content element offers the elements that carry references. */
export interface Sharing {
  /**
   * Mutations (to commit with the message, invitation or group change) that let the audience
   * read the items `sharer` owns among those named in `texts` (URLs or free text containing
   * `…/content/<id>`). Unknown items and items of others are passed over.
   */
  shareMutations(sharer: string, texts: readonly string[], audience: Audience): Promise<Mutation[]>;
}

/** Content ids are 32 lower-case hex digits; a URL names one as `/content/<id>`. */
export const CONTENT_ID = /^[0-9a-f]{32}$/;
const REFERENCE = /\/content\/([0-9a-f]{32})(?![0-9a-f])/g;

/** The content ids a text names. */
export function referencedIds(texts: readonly string[]): string[] {
  const ids = new Set<string>();
  for (const text of texts) for (const match of text.matchAll(REFERENCE)) ids.add(match[1]);
  return [...ids];
}

export function sharing({ repo }: Content): Sharing {
  return {
    async shareMutations(sharer, texts, audience) {
      const mutations: Mutation[] = [];
      for (const id of referencedIds(texts)) {
        if ((await repo.get(id))?.owner !== sharer) continue;
        for (const user of audience.users ?? []) {
          if (user !== sharer) mutations.push(repo.grantMutation(id, "user", user));
        }
        for (const group of audience.groups ?? []) {
          mutations.push(repo.grantMutation(id, "group", group));
        }
      }
      return mutations;
    },
  };
}

/** Whether `user` may read the item: owner, a recipient, or a member of a group it went to. */
export async function mayRead(
  { repo, hooks }: Content,
  item: ContentItem,
  user: string,
): Promise<boolean> {
  if (item.owner === user) return true;
  if (await repo.isGranted(item.id, "user", user)) return true;
  if (!hooks.groups) return false;
  for (const group of await repo.groupGrants(item.id)) {
    if (await hooks.groups.isMember(group, user)) return true;
  }
  return false;
}
