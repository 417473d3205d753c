/** What the search element works with: the server, its hooks and its storage. */
import type { ServerContext } from "../../session/handler.ts";
import type { SearchHooks } from "./hooks.ts";
import { SearchIndexRepo } from "./index.ts";
import { SearchResultRepo } from "./results.ts";

export class Search {
  /** The user index, kept on presence changes. */
  readonly index: SearchIndexRepo;
  /** Each session's searches waiting for their next page. */
  readonly results: SearchResultRepo;

  constructor(readonly server: ServerContext, readonly hooks: SearchHooks) {
    this.index = new SearchIndexRepo(server.store);
    this.results = new SearchResultRepo(server.store);
  }
}
