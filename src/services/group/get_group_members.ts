/**
 * GetGroupMembers-Request: the explicit members (named by AddGroupMembers or MemberAccess, and
 * the owner) by role; in an Open group anyone may join without being one. Only members and
 * joined users see the list.
 */
import type { PrimitiveModule } from "../../session/handler.ts";
import { ProtocolError } from "../../session/status.ts";
import { INSUFFICIENT_PRIVILEGES } from "./codes.ts";
import type { Groups } from "./element.ts";
import type { Role } from "./properties.ts";
import { isInsider, onGroup } from "./standing.ts";
import { userList } from "./user_lists.ts";

export function getGroupMembers(g: Groups): PrimitiveModule {
  return {
    name: "GetGroupMembers-Request",
    function: ["GroupFeat", "GroupAuthFunc", "GETGM"],
    async handle(ctx, body) {
      return await onGroup(g, ctx, { name: "GetGroupMembers-Request", body }, async (s) => {
        if (!isInsider(s)) {
          throw new ProtocolError(INSUFFICIENT_PRIVILEGES, "Only members see the member list");
        }
        const byRole: Record<Role, string[]> = { Admin: [], Mod: [], User: [] };
        for (const [user, role] of await s.repo.members(s.group.id)) byRole[role].push(user);
        return {
          name: "GetGroupMembers-Response",
          body: {
            Admin: { UserList: userList(byRole.Admin) },
            Mod: { UserList: userList(byRole.Mod) },
            UserList: userList(byRole.User),
          },
        };
      }, false);
    },
  };
}
