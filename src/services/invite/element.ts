/** What the invite element works with: the server, its hooks and its storage. */
import type { ServerContext } from "../../session/handler.ts";
import type { InviteHooks } from "./hooks.ts";
import { InviteRepo } from "./repo.ts";

export class Invitations {
  readonly repo: InviteRepo;

  constructor(readonly server: ServerContext, readonly hooks: InviteHooks) {
    this.repo = new InviteRepo(server.store);
  }
}
