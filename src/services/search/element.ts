/** What the search element works with: the server, its hooks and its storage. */
import type { ServerContext } from "../../session/handler.ts";
import type { SearchHooks } from "./hooks.ts";
import type { SearchIndexStorage, SearchResultStorage } from "./storage.ts";

export class Search {
  constructor(
    readonly server: ServerContext,
    readonly hooks: SearchHooks,
    /** The user index, kept on presence changes. */
    readonly index: SearchIndexStorage,
    /** Each session's searches waiting for their next page. */
    readonly results: SearchResultStorage,
  ) {}
}
