/** What the invite element works with: the server, its hooks and its storage. */
import type { ServerContext } from "../../session/handler.ts";
import type { InviteHooks } from "./hooks.ts";
import type { InviteStorage } from "./storage.ts";

export class Invitations {
  constructor(
    readonly server: ServerContext,
    readonly hooks: InviteHooks,
    readonly repo: InviteStorage,
  ) {}
}
