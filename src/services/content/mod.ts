/**
 * Shared content (release definition §6.1.4): pictures, sound and documents users store on the
 * server and share by naming their URL while messaging. The bytes travel over plain HTTP
 * (`routes.ts`); CSP messages, invitations and group properties carry only the URL, and the
 * elements that carry them share the content through `sharing` (`sharing.ts`).
 */
import type { ServerContext, ServiceElement, UserDataSpec } from "../../session/handler.ts";
import { Content } from "./element.ts";
import type { ContentHooks } from "./hooks.ts";
import { contentRoutes } from "./routes.ts";
import { type Sharing, sharing } from "./sharing.ts";
import { ContentRepo } from "./repo.ts";

export interface ContentElement extends ServiceElement {
  readonly hooks: ContentHooks;
  /** Read access to content for whoever a message or invitation names it to. */
  readonly sharing: Sharing;
}

export function createContent(server: ServerContext, hooks: ContentHooks = {}): ContentElement {
  const content = new Content(server, hooks, new ContentRepo(server.store));
  return {
    name: "content",
    modules: [],
    hooks,
    sharing: sharing(content),
    routes: (app) => contentRoutes(app, content),
    userData: (userId) => contentUserData(content, userId),
  };
}

/** The items the user owns (bytes, grants, the item last) and their usage; the grants others gave
 * this id (a later account of it is someone else). */
async function contentUserData({ server }: Content, userId: string): Promise<UserDataSpec[]> {
  const owned = (await server.store.list<{ owner: string }>(["content", "item"]))
    .filter((e) => e.value.owner === userId).map((e) => e.key[2]);
  return [
    ...owned.flatMap((id) =>
      ["chunk", "grant", "item"].map((kind) => ({ prefix: ["content", kind, id] }))
    ),
    { scan: ["content", "grant"], part: 4 },
    { prefix: ["content", "usage", userId] },
  ];
}
