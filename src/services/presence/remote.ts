/**
 * The seam for users of other domains. Presence of a remote user needs server-to-server (SSP)
 * relaying, which this server does not have yet: every presence operation on remote users comes
 * through `relayToRemoteDomains`, which today refuses them with 516 (domain not supported), so
 * local clients get a clear per-user answer. An SSP relay replaces the body of this function.
 */
import type { RequestContext } from "../../session/handler.ts";
import type { AttributeSelection } from "./attributes.ts";
import type { Outcome } from "./targets.ts";

export type RemoteOperation = "subscribe" | "unsubscribe" | "get-presence";

export interface RemoteTarget {
  id: string;
  domain: string;
}

export function relayToRemoteDomains(
  _ctx: RequestContext,
  _operation: RemoteOperation,
  targets: readonly RemoteTarget[],
  _attributes: AttributeSelection,
  outcome: Outcome,
): Promise<void> {
  for (const target of targets) {
    outcome.failUser(516, target.id, `Domain ${target.domain} is not reachable from this server`);
  }
  return Promise.resolve();
}
