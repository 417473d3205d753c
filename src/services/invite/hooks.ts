/** What the invite element needs of other elements; `services/mod.ts` fills it in. */
import type { SspTransport } from "../../federation/relay.ts";
import type { Mutation } from "../../store/kv.ts";

export interface InviteHooks {
  /** The group directory (the group element). Without it, a group invitation gets 800. */
  groups?: {
    /** The code that stops `userId` inviting others to `groupId` (800 unknown group, …), or
     * undefined when the invitation may go out. */
    checkInviter(groupId: string, userId: string): Promise<number | undefined>;
    /** An accepted group invitation: the invitee may now join even a restricted group. */
    admitInvitee(groupId: string, userId: string): Promise<void>;
  };
  /** Shared content (the content element): what an invitation's URLList names becomes readable
   * by its invitees. Without it, nothing is shared. */
  content?: {
    shareMutations(
      sharer: string,
      texts: readonly string[],
      audience: { users: readonly string[] },
    ): Promise<Mutation[]>;
  };
  /** The SSP transport (federation on): invitees of other domains. Without it they get 516. */
  federation?: SspTransport;
}
