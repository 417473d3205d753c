/** What the IM element works with: the server, its hooks, its storage and its presentation. */
import type { ServerContext } from "../../session/handler.ts";
import type { Mutation } from "../../store/kv.ts";
import type { ImHooks } from "./hooks.ts";
import { Presenter } from "./presentation.ts";
import type { BlockStorage, MailboxStorage } from "./storage.ts";

export class Im {
  readonly present = new Presenter();

  constructor(
    readonly server: ServerContext,
    readonly hooks: ImHooks,
    /** Each user's waiting messages and reports. */
    readonly mailbox: MailboxStorage,
    /** Each user's block and grant lists. */
    readonly blocks: BlockStorage,
  ) {}

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
