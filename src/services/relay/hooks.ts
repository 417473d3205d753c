/**
 * What the SSP relay offers the other service elements through `server.hooks` (declaration
 * merging, as in group/directory.ts). IM hands it recipients of other domains and group
 * messages crossing domains (the group element has its own `groupRelay`); an element
 * without a hook of its own (presence and invitations have theirs) may send and serve any SSP
 * primitive through `request` and `handle`.
 */
import type { XmlElement } from "../../codec/xml/tree.ts";
import type { UserAddress } from "../shared/ids.ts";
import type { Draft } from "../im/compose.ts";
import type { GroupAddressing, GroupRecipient } from "../shared/group_messages.ts";
import type { RecipientOutcome } from "../shared/outcomes.ts";

export interface RemoteRelay {
  /**
   * Takes a message for users of other domains: it is stored for relaying before this resolves,
   * so a 200 outcome means it will be delivered or its sender told why (DeliveryReport).
   */
  relayMessage(
    draft: Draft,
    content: string,
    recipients: UserAddress[],
  ): Promise<RecipientOutcome[]>;
  /**
   * Takes a local user's message to a group of another domain to that group's server (stored
   * before this resolves); 808 when the user has not joined it through this server.
   */
  relayToGroup(draft: Draft, content: string, recipient: GroupRecipient): Promise<RecipientOutcome>;
  /** Takes the copies of a message to one of our groups to its joined users of other domains
   * (stored before this resolves). */
  relayGroupCopies(
    draft: Draft,
    content: string,
    addressing: GroupAddressing,
    receivers: UserAddress[],
  ): Promise<void>;
  /**
   * Sends any SSP request to a peer domain and resolves with its response primitive; throws
   * when the peer is unreachable.
   */
  request(domain: string, primitive: XmlElement): Promise<XmlElement>;
  /** Registers the handler of an SSP request a peer sends (e.g. "JoinGroupRequest"). */
  handle(
    name: string,
    handler: (peer: string, primitive: XmlElement) => Promise<XmlElement | undefined>,
  ): void;
}

declare module "../../session/handler.ts" {
  interface ServiceHooks {
    sspRelay?: RemoteRelay;
  }
}
