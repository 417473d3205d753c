/**
 * RemoveGroupMembers-Request: Mods remove Users, Admins everyone but the owner. A member
 * removed from a restricted group is taken out of it (810).
 */
import type { PrimitiveModule } from "../../session/handler.ts";
import { ProtocolError } from "../../session/status.ts";
import type { Mutation } from "../../store/kv.ts";
import { GROUP_TEXT, NOT_A_MEMBER } from "./codes.ts";
import type { Groups } from "./element.ts";
import { removedMutations } from "./group_change_notice.ts";
import { leaveMutations } from "./membership.ts";
import {
  namedUsers,
  onGroup,
  perUserResult,
  requireRole,
  type Standing,
  untouchable,
} from "./standing.ts";

export function removeGroupMembers(g: Groups): PrimitiveModule {
  return {
    name: "RemoveGroupMembers-Request",
    function: ["GroupFeat", "GroupAuthFunc", "RMVGM"],
    async handle(ctx, body) {
      return await onGroup(g, ctx, { name: "RemoveGroupMembers-Request", body }, async (s) => {
        requireRole(s, "Mod", "Removing members");
        const users = namedUsers(ctx, body);
        if (users.length === 0) throw new ProtocolError(400, "No users named");
        const members = await s.repo.members(s.group.id);
        const failures = new Map<string, number>();
        const mutations: Mutation[] = [];
        for (const user of users) {
          const current = members.get(user);
          const refusal = current === undefined ? NOT_A_MEMBER : untouchable(s, user, current);
          if (refusal) {
            failures.set(user, refusal);
            continue;
          }
          mutations.push(
            s.repo.removeMember(s.group.id, user),
            ...await dropIfRestricted(g, s, user),
          );
        }
        await g.commit(mutations);
        return { name: "Status", body: { Result: perUserResult(users, failures) } };
      });
    },
  };
}

/** Takes a user who lost their membership out of a group only members may be in. */
async function dropIfRestricted(g: Groups, s: Standing, user: string): Promise<Mutation[]> {
  const restricted = s.group.properties.Accesstype === "Restricted" ||
    s.group.properties.Type === "Private";
  const joined = restricted ? await s.repo.joinedRecord(s.group.id, user) : undefined;
  if (!joined) return [];
  return [
    ...await leaveMutations(g, s.group, joined),
    ...await removedMutations(g, user, s.group.id, NOT_A_MEMBER, GROUP_TEXT[NOT_A_MEMBER]),
  ];
}
