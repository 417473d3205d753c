/**
 * Where other elements take over delivery. Both answer honestly for now: no server-to-server
 * relay and no group element exist yet, so each recipient of theirs gets a failure code in the
 * sender's DetailedResult rather than a pretended success.
 */
import type { ServerContext } from "../../session/server_context.ts";
import type { UserAddress } from "../../util/userid.ts";
import type { Draft } from "./compose.ts";

export interface RecipientOutcome {
  /** The DetailedResult child that names the recipient. */
  kind: "UserID" | "GroupID" | "ContactList";
  id: string;
  code: number;
  description?: string;
}

/**
 * Recipients of other domains: the server-to-server relay (SSP) hooks in here. It will take the
 * message for its domain and answer per recipient; today every one gets 516.
 */
export function relayToRemoteDomains(
  _server: ServerContext,
  _message: Draft,
  _content: string,
  recipients: UserAddress[],
): Promise<RecipientOutcome[]> {
  return Promise.resolve(recipients.map((r) => ({
    kind: "UserID" as const,
    id: r.id,
    code: 516,
    description: `Domain ${r.domain} is not served by this server`,
  })));
}

/**
 * Group recipients (`Recipient/Group`): the group element hooks in here, delivering to joined
 * members. Today every group gets 405: group messaging is not offered yet.
 */
export function sendToGroups(
  _server: ServerContext,
  _message: Draft,
  _content: string,
  groupIds: string[],
): Promise<RecipientOutcome[]> {
  return Promise.resolve(groupIds.map((id) => ({
    kind: "GroupID" as const,
    id,
    code: GROUP_MESSAGING_UNAVAILABLE.code,
    description: GROUP_MESSAGING_UNAVAILABLE.description,
  })));
}

/** The answer to group-scoped IM requests (GetMessageList or SetDeliveryMethod with GroupID). */
export const GROUP_MESSAGING_UNAVAILABLE = {
  code: 405,
  description: "Group messaging is not offered by this server yet",
};
