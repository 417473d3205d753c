/** What the IM element needs of other elements; `services/mod.ts` fills it in. */
import type { SspTransport } from "../../federation/relay.ts";
import type { Mutation } from "../../store/kv.ts";
import type {
  GroupAudience,
  GroupRecipient,
  GroupRefusal,
  RemoteGroup,
} from "../shared/group_messages.ts";

export interface ImHooks {
  /** Who receives a message to a group (the group element). Without it, group recipients get
   * 405. */
  groups?: {
    /** The receivers of a message from `sender` to `recipient`, or why it may not be sent, or
     * the group's own server when it is of another domain. */
    audience(
      sender: string,
      recipient: GroupRecipient,
    ): Promise<GroupAudience | GroupRefusal | RemoteGroup>;
    /** Those of `users` (ours) joined to `groupId` of another domain through this server. */
    joinedRemotely(groupId: string, users: readonly string[]): Promise<string[]>;
  };
  /** Shared content (the content element): what a message names becomes readable by its
   * recipients. Without it, nothing is shared. */
  content?: {
    shareMutations(
      sharer: string,
      texts: readonly string[],
      audience: { users?: readonly string[]; groups?: readonly string[] },
    ): Promise<Mutation[]>;
  };
  /** The SSP transport (federation on): recipients and groups of other domains. Without it
   * they get 516. */
  federation?: SspTransport;
}
