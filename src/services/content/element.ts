/** What the content element works with: the server, its hooks and its storage. */
import type { ServerContext } from "../../session/handler.ts";
import type { ContentHooks } from "./hooks.ts";
import { ContentRepo } from "./repo.ts";

export class Content {
  readonly repo: ContentRepo;

  constructor(readonly server: ServerContext, readonly hooks: ContentHooks) {
    this.repo = new ContentRepo(server.store);
  }
}
