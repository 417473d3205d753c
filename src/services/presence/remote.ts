/**
 * What presence asks of presence across domains (`federation.ts`, made when federation is on):
 * requests naming users of other domains (without it each such user gets 516, domain not
 * supported, so local clients get a clear per-user answer), and every change of a local user's
 * presence (publish.ts), for watchers elsewhere.
 */
import type { ElementObject } from "../../codec/csp/message.ts";
import type { RequestContext } from "../../session/handler.ts";
import type { AttributeSelection, PresenceAttributes } from "./attributes.ts";
import type { Outcome } from "./targets.ts";

export type RemoteOperation = "subscribe" | "unsubscribe" | "get-presence";

export interface RemoteTarget {
  id: string;
  domain: string;
}

/** What the SSP relay offers presence. */
export interface RemotePresence {
  /**
   * Relays a local user's request for remote users, reporting failures to `outcome`; for
   * get-presence, resolves with their Presence elements.
   */
  request(
    ctx: RequestContext,
    operation: RemoteOperation,
    targets: readonly RemoteTarget[],
    attributes: AttributeSelection,
    outcome: Outcome,
  ): Promise<ElementObject[]>;
  /**
   * The presence of local user `owner` changed in `changed` (or who may see it: "all"): the
   * watchers in other domains (those in `only`, if given) are sent what they may see now.
   */
  presenceChanged(
    owner: string,
    presence: PresenceAttributes,
    changed: AttributeSelection,
    only?: ReadonlySet<string>,
  ): Promise<void>;
}
