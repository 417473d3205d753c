/**
 * The seam for other domains: the server-to-server (SSP) relay plugs in as
 * `server.hooks.groupRelay`. It answers a group primitive aimed at a group of another domain
 * (asking that group's server), and it carries what one of our groups sends to joined users of
 * other domains: GroupChangeNotices, and the news that the server took them out. Without it,
 * requests for remote groups get 516 and remote users hear nothing (they cannot join anyway).
 */
import type { Primitive } from "../../codec/csp/message.ts";
import type { HandlerReply, RequestContext } from "../../session/handler.ts";
import { status } from "../../session/status.ts";
import type { Mutation } from "../../store/kv.ts";
import type { GroupChange } from "./group_change_notice.ts";

/** A remote receiver of a notice, and whether it may see UserIDs (notices.ts `seesUserIds`). */
export interface RemoteReceiver {
  user: string;
  withIds: boolean;
}

export interface GroupRelay {
  /** Carries `request` to the domain of `groupId` on behalf of the caller's session. */
  forward(ctx: RequestContext, groupId: string, request: Primitive): Promise<HandlerReply>;
  /** Mutations queueing a GroupChangeNotice to users of other domains, committed with the
   * change; `flush` sends them once committed. */
  noticeMutations(groupId: string, receivers: RemoteReceiver[], change: GroupChange): Mutation[];
  /** Mutations telling users of other domains that the server took them out of the group. */
  removalMutations(groupId: string, users: string[], code: number, reason: string): Mutation[];
  /** Starts sending what the mutations above queued (call after committing them). */
  flush(): void;
}

declare module "../../session/handler.ts" {
  interface ServiceHooks {
    groupRelay?: GroupRelay;
  }
}

export async function toRemoteGroup(
  ctx: RequestContext,
  groupId: string,
  domain: string,
  request: Primitive,
): Promise<HandlerReply> {
  const relay = ctx.server.hooks.groupRelay;
  if (relay) return await relay.forward(ctx, groupId, request);
  return status(516, `Domain ${domain} is not served by this server`);
}
