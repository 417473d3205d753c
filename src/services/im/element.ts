/** What the IM element works with: the server, its hooks, its storage and its presentation. */
import type { ServerContext } from "../../session/handler.ts";
import type { Mutation } from "../../store/kv.ts";
import { BlockRepo } from "./blocking.ts";
import type { ImHooks } from "./hooks.ts";
import { MailboxRepo } from "./mailbox.ts";
import { Presenter } from "./presentation.ts";

export class Im {
  /** Each user's waiting messages and reports; it keeps counts in memory on a store this
   * server serves alone. */
  readonly mailbox: MailboxRepo;
  readonly blocks: BlockRepo;
  readonly present = new Presenter();

  constructor(readonly server: ServerContext, readonly hooks: ImHooks) {
    this.mailbox = new MailboxRepo(server.store);
    this.blocks = new BlockRepo(server.store);
  }

  /** Mutations that let `audience` read the stored content `sharer` owns among what `content`
   * names (none without the content element). */
  async shareMutations(
    sharer: string,
    content: string,
    audience: { users?: readonly string[]; groups?: readonly string[] },
  ): Promise<Mutation[]> {
    return await this.hooks.content?.shareMutations(sharer, [content], audience) ?? [];
  }
}
