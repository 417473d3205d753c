/**
 * RejectList-Request, the group's ban list. A banned user is no longer a member, is taken out of
 * the group if joined (809) and may not join, read or post; Mods ban Users, Admins everyone but
 * the owner. The answer lists the banned users.
 */
import type { ElementObject } from "../../codec/csp/message.ts";
import type { PrimitiveModule, RequestContext } from "../../session/handler.ts";
import { ProtocolError } from "../../session/status.ts";
import { all, obj, str } from "../../session/values.ts";
import type { Mutation } from "../../store/kv.ts";
import { GROUP_TEXT, INSUFFICIENT_PRIVILEGES, REJECTED } from "./codes.ts";
import type { Groups } from "./element.ts";
import { removedMutations } from "./group_change_notice.ts";
import { MAX_REJECTED } from "./limits.ts";
import { leaveMutations } from "./membership.ts";
import { atLeast } from "./properties.ts";
import { namedUsers, onGroup, requireRole, type Standing } from "./standing.ts";
import { userList } from "./user_lists.ts";

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

export function rejectList(g: Groups): PrimitiveModule {
  return {
    name: "RejectList-Request",
    function: ["GroupFeat", "GroupAuthFunc", "REJEC"],
    async handle(ctx, body) {
      return await onGroup(g, ctx, { name: "RejectList-Request", body }, async (s) => {
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
              ...await leaveMutations(g, s.group, joined),
              ...await removedMutations(g, user, s.group.id, REJECTED, GROUP_TEXT[REJECTED]),
            );
          }
        }
        const current = new Set(await s.repo.rejected(s.group.id));
        for (const user of lifted) current.delete(user);
        for (const user of banned) current.add(user);
        if (current.size > MAX_REJECTED) {
          throw new ProtocolError(402, `A reject list holds at most ${MAX_REJECTED} users`);
        }
        await g.commit(mutations);
        return { name: "RejectList-Response", body: { UserList: userList([...current].sort()) } };
      });
    },
  };
}
