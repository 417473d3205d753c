/** AddGroupMembers-Request: Mods and Admins name new members, who get the User role. */
import type { PrimitiveModule } from "../../session/handler.ts";
import { ProtocolError } from "../../session/status.ts";
import type { Mutation } from "../../store/kv.ts";
import type { Groups } from "./element.ts";
import { MAX_MEMBERS } from "./limits.ts";
import { knownUser, namedUsers, onGroup, perUserResult, requireRole } from "./standing.ts";

export function addGroupMembers(g: Groups): PrimitiveModule {
  return {
    name: "AddGroupMembers-Request",
    function: ["GroupFeat", "GroupAuthFunc", "ADDGM"],
    async handle(ctx, body) {
      return await onGroup(g, ctx, { name: "AddGroupMembers-Request", body }, async (s) => {
        requireRole(s, "Mod", "Adding members");
        const users = namedUsers(ctx, body);
        if (users.length === 0) throw new ProtocolError(400, "No users named");
        const members = await s.repo.members(s.group.id);
        const failures = new Map<string, number>();
        const mutations: Mutation[] = [];
        for (const user of users) {
          if (!await knownUser(ctx, user)) failures.set(user, 531);
          else if (!members.has(user)) {
            members.set(user, "User");
            mutations.push(s.repo.setRole(s.group.id, user, "User"));
          }
        }
        if (members.size > MAX_MEMBERS) {
          throw new ProtocolError(402, `A group has at most ${MAX_MEMBERS} members`);
        }
        await g.commit(mutations);
        return { name: "Status", body: { Result: perUserResult(users, failures) } };
      });
    },
  };
}
