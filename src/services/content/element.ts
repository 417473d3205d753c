/** What the content element works with: the server, its hooks and its storage. */
import type { ServerContext } from "../../session/handler.ts";
import type { ContentHooks } from "./hooks.ts";
import type { ContentStorage } from "./storage.ts";

export class Content {
  constructor(
    readonly server: ServerContext,
    readonly hooks: ContentHooks,
    readonly repo: ContentStorage,
  ) {}
}
