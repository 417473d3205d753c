/**
 * RejectList-Request (the group's ban list) and SubscribeGroupNotice-Request. A banned user is no
 * longer a member, is taken out of the group if joined (809) and may not join, read or post; Mods
 * ban Users, Admins everyone but the owner. The answer lists the banned users.
 */
import type { ElementObject } from "../../codec/csp/message.ts";
import type { PrimitiveModule, RequestContext } from "../../session/handler.ts";
import { ProtocolError, status } from "../../session/status.ts";
import { all, obj, str } from "../../session/values.ts";
import type { Mutation } from "../../store/kv.ts";
import { namedUsers, onGroup, requireRole, type Standing, userList } from "./standing.ts";
import { GROUP_TEXT, INSUFFICIENT_PRIVILEGES, NOT_JOINED, REJECTED } from "./codes.ts";
import { MAX_REJECTED } from "./limits.ts";
import { leaveMutations } from "./membership.ts";
import { commitChunked, removedMutations } from "./group_change_notice.ts";
import { atLeast } from "./properties.ts";

/** Users an AddList/RemoveList names, by UserID or by their screen name in this group. */
async function listed(ctx: RequestContext, s: Standing, element: ElementObject | undefined) {
  const users = namedUsers(ctx, element);
  for (const item of all(element?.ScreenName)) {
    const name = str(obj(item)?.SName);
    const holder = name === undefined ? undefined : await s.repo.screenNameHolder(s.group.id, name);
    if (holder) users.push(holder);
  }
  return users;
}

export const rejectListRequest: PrimitiveModule = {
  name: "RejectList-Request",
  function: ["GroupFeat", "GroupAuthFunc", "REJEC"],
  async handle(ctx, body) {
    return await onGroup(ctx, { name: "RejectList-Request", body }, async (s) => {
      requireRole(s, "Mod", "The reject list");
      const banned = await listed(ctx, s, obj(body.AddList));
      const lifted = await listed(ctx, s, obj(body.RemoveList));
      const members = await s.repo.members(s.group.id);
      const mutations: Mutation[] = lifted.map((user) => s.repo.unreject(s.group.id, user));
      for (const user of banned) {
        const role = members.get(user);
        if (user === s.group.owner || (s.role !== "Admin" && atLeast(role, "Mod"))) {
          throw new ProtocolError(INSUFFICIENT_PRIVILEGES, `${user} may not be rejected by you`);
        }
        mutations.push(s.repo.reject(s.group.id, user));
        if (role) mutations.push(s.repo.removeMember(s.group.id, user));
        const joined = await s.repo.joinedRecord(s.group.id, user);
        if (joined) {
          mutations.push(
            ...await leaveMutations(ctx.server, s.repo, s.group, joined),
            ...await removedMutations(ctx.server, user, s.group.id, REJECTED, GROUP_TEXT[REJECTED]),
          );
        }
      }
      const current = new Set(await s.repo.rejected(s.group.id));
      for (const user of lifted) current.delete(user);
      for (const user of banned) current.add(user);
      if (current.size > MAX_REJECTED) {
        throw new ProtocolError(402, `A reject list holds at most ${MAX_REJECTED} users`);
      }
      await commitChunked(ctx.server, mutations);
      return { name: "RejectList-Response", body: { UserList: userList([...current].sort()) } };
    });
  },
};

/** SubscribeGroupNotice-Request: G asks (answered with Value T/F), S subscribes, U unsubscribes. */
export const subscribeGroupNoticeRequest: PrimitiveModule = {
  name: "SubscribeGroupNotice-Request",
  function: ["GroupFeat", "GroupUseFunc", "SUBGCN"],
  serverFunctions: [["GroupFeat", "GroupUseFunc", "GRCHN"]],
  async handle(ctx, body) {
    const type = str(body.SubscribeType)?.trim().toUpperCase();
    if (type === undefined) throw new ProtocolError(400, "SubscribeType missing");
    if (type !== "G" && type !== "S" && type !== "U") {
      throw new ProtocolError(402, "SubscribeType is G, S or U");
    }
    return await onGroup(ctx, { name: "SubscribeGroupNotice-Request", body }, async (s) => {
      if (!s.joined) throw new ProtocolError(NOT_JOINED, GROUP_TEXT[NOT_JOINED]);
      if (type === "G") {
        return {
          name: "SubscribeGroupNotice-Response",
          body: { Value: s.joined.subscribed ? "T" : "F" },
        };
      }
      await ctx.server.store.write(
        s.repo.updateJoined(s.group.id, { ...s.joined, subscribed: type === "S" }),
      );
      return status(200);
    });
  },
};
