/** What the presence element needs of other elements; `services/mod.ts` fills it in. */
import type { ElementValue } from "../../codec/csp/message.ts";
import type { SspTransport } from "../../federation/relay.ts";
import type { Mutation } from "../../store/kv.ts";
import type { BlockRecord } from "../shared/privacy.ts";

export interface PresenceHooks {
  /** The owner's block and grant lists (the IM element): a user they shut out sees none of the
   * owner's presence. Without it, nobody is shut out. */
  blockList?(owner: string): Promise<BlockRecord>;
  /** The writes that follow a change of a user's presence elsewhere (the search index),
   * committed with the change's notifications. */
  presenceChanged?(
    user: string,
    presence: Readonly<Record<string, ElementValue | ElementValue[] | undefined>>,
  ): Promise<Mutation[]>;
  /** The SSP transport (federation on): watchers and watched users of other domains. Without
   * it, each of those users gets 516. */
  federation?: SspTransport;
}
