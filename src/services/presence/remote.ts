/**
 * The seam for users of other domains. Presence requests naming remote users come through
 * `relayToRemoteDomains`, which hands them to the server-to-server relay (`server.hooks.
 * remotePresence`, installed by the relay element when federation is on); without it each such
 * user gets 516 (domain not supported), so local clients get a clear per-user answer. The relay
 * also hears of every change of a local user's presence (publish.ts), for watchers elsewhere.
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

declare module "../../session/handler.ts" {
  interface ServiceHooks {
    remotePresence?: RemotePresence;
  }
}

/** Remote users of a request: relayed when federation is on, else 516 each. */
export async function relayToRemoteDomains(
  ctx: RequestContext,
  operation: RemoteOperation,
  targets: readonly RemoteTarget[],
  attributes: AttributeSelection,
  outcome: Outcome,
): Promise<ElementObject[]> {
  const relay = ctx.server.hooks.remotePresence;
  if (relay) return await relay.request(ctx, operation, targets, attributes, outcome);
  for (const target of targets) {
    outcome.failUser(516, target.id, `Domain ${target.domain} is not reachable from this server`);
  }
  return [];
}
