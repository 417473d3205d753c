/**
 * Search and StopSearch (digest §2.3): users by their id and by what they made searchable in
 * presence (see `fields.ts`), groups through the group element's directory; results are kept
 * per session and handed out in pages.
 */
import type { ElementValue } from "../../codec/csp/message.ts";
import type { ServerContext, ServiceElement } from "../../session/handler.ts";
import type { Mutation } from "../../store/kv.ts";
import { Search } from "./element.ts";
import { searchableFields } from "./fields.ts";
import type { SearchHooks } from "./hooks.ts";
import { search } from "./search.ts";
import { stopSearch } from "./stop_search.ts";
import { SearchIndexRepo } from "./index.ts";
import { SearchResultRepo } from "./results.ts";

export interface SearchElement extends ServiceElement {
  readonly hooks: SearchHooks;
  /**
   * The index following a change of a user's presence: the mutations to commit with the change
   * (the presence element calls it for every change it commits).
   */
  indexPresence(
    userId: string,
    presence: Readonly<Record<string, ElementValue | ElementValue[] | undefined>>,
  ): Promise<Mutation[]>;
}

export function createSearch(server: ServerContext, hooks: SearchHooks = {}): SearchElement {
  const element = new Search(
    server,
    hooks,
    new SearchIndexRepo(server.store),
    new SearchResultRepo(server.store),
  );
  server.sessions.onEnd(async (session) => {
    await server.store.write(...await element.results.clearMutations(session.id));
  });
  return {
    name: "search",
    modules: [search(element), stopSearch(element)],
    hooks,
    indexPresence: (userId, presence) =>
      element.index.replaceMutations(userId, searchableFields(presence)),
    /** The user's entries in the index, as an emptied profile would leave it. */
    userData: async (userId) =>
      (await element.index.replaceMutations(userId, {})).map((m) => ({ prefix: m.key })),
  };
}
