/**
 * Shared content (release definition §6.1.4): pictures, sound and documents users store on the
 * server and share by naming their URL while messaging. The bytes travel over plain HTTP
 * (`routes.ts`); CSP messages, invitations and group properties carry only the URL.
 */
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
};
