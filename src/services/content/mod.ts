/**
 * Shared content (release definition §6.1.4): pictures, sound and documents users store on the
 * server and share by naming their URL while messaging. The bytes travel over plain HTTP
 * (`routes.ts`); CSP messages, invitations and group properties carry only the URL.
 */
import type { Store } from "../../store/kv.ts";
import type { UserDataSpec } from "../accounts.ts";
import type { ServiceElement } from "../mod.ts";
import { contentRoutes } from "./routes.ts";
import { sharedContent } from "./sharing.ts";

export const contentElement: ServiceElement = {
  name: "content",
  modules: [],
  install(server) {
    server.hooks.sharedContent = sharedContent(server);
  },
  routes: contentRoutes,
  userData: contentUserData,
};

/** The items the user owns (bytes, grants, the item last) and their usage; the grants others gave
 * this id (a later account of it is someone else). */
async function contentUserData(store: Store, userId: string): Promise<UserDataSpec[]> {
  const owned = (await store.list<{ owner: string }>(["content", "item"]))
    .filter((e) => e.value.owner === userId).map((e) => e.key[2]);
  return [
    ...owned.flatMap((id) =>
      ["chunk", "grant", "item"].map((kind) => ({ prefix: ["content", kind, id] }))
    ),
    { scan: ["content", "grant"], part: 4 },
    { prefix: ["content", "usage", userId] },
  ];
}
