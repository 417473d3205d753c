/**
 * Search and StopSearch (digest §2.3): users by their id and by what they made searchable in
 * presence (see `fields.ts`), groups through the group element's directory; results are kept
 * per session and handed out in pages.
 */
import type { ElementValue } from "../../codec/csp/message.ts";
import type { ServerContext } from "../../session/server_context.ts";
import type { Mutation } from "../../store/kv.ts";
import type { ServiceElement } from "../mod.ts";
import { searchableFields } from "./fields.ts";
import { searchIndexOf, SearchIndexRepo } from "./index.ts";
import { SearchResultRepo } from "./results.ts";
import { searchRequest, stopSearchRequest } from "./search.ts";

/** Called by the presence element once a change of a user's presence is committed; the
 * mutations it answers (the search index following the change) are committed next. */
export type PresenceChanged = (
  userId: string,
  presence: Readonly<Record<string, ElementValue | ElementValue[] | undefined>>,
) => Promise<Mutation[]>;

declare module "../../session/server_context.ts" {
  interface ServiceHooks {
    presenceChanged?: PresenceChanged;
  }
}

function install(server: ServerContext): void {
  server.hooks.presenceChanged = (userId, presence) =>
    searchIndexOf(server).replaceMutations(userId, searchableFields(presence));
  server.sessions.onEnd(async (session) => {
    await server.store.write(
      ...await new SearchResultRepo(server.store).clearMutations(session.id),
    );
  });
}

export const searchElement: ServiceElement = {
  name: "search",
  modules: [searchRequest, stopSearchRequest],
  install,
  /** The user's entries in the index, as an emptied profile would leave it. */
  userData: async (store, userId) =>
    (await new SearchIndexRepo(store).replaceMutations(userId, {})).map((m) => ({
      prefix: m.key,
    })),
};
