/**
 * Invitees in other domains: the server-to-server (SSP) relay takes them over through
 * `server.hooks.invitationRelay`. Until one is installed every such recipient is answered 516
 * (domain not supported) in the inviter's DetailedResult, as IM does for its messages.
 */
import type { ServerContext } from "../../session/handler.ts";
import type { UserAddress } from "../shared/ids.ts";
import type { RecipientOutcome } from "../shared/outcomes.ts";
import type { Answer } from "./presentation.ts";
import type { Invitation, ReceivedInvitation } from "./repo.ts";

export interface InvitationRelay {
  /** Sends the invitation (`cancel`: its cancellation, whose note is `invitation.note`) to users
   * of other domains. */
  relay(
    operation: "invite" | "cancel",
    invitation: Invitation,
    recipients: readonly UserAddress[],
  ): Promise<RecipientOutcome[]>;
  /** Sends a local invitee's answer to an inviter of another domain (stored before it
   * resolves); without it, the answer is kept here like one to a local inviter. */
  answer?(invitation: ReceivedInvitation, answer: Answer): Promise<void>;
}

declare module "../../session/handler.ts" {
  interface ServiceHooks {
    invitationRelay?: InvitationRelay;
  }
}

export async function relayToRemoteDomains(
  server: ServerContext,
  operation: "invite" | "cancel",
  invitation: Invitation,
  recipients: readonly UserAddress[],
): Promise<RecipientOutcome[]> {
  if (recipients.length === 0) return [];
  const relay = server.hooks.invitationRelay;
  if (relay) return await relay.relay(operation, invitation, recipients);
  return recipients.map((r) => ({
    kind: "UserID" as const,
    id: r.id,
    code: 516,
    description: `Domain ${r.domain} is not served by this server`,
  }));
}
