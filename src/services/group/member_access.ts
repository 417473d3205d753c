/**
 * MemberAccess-Request: Admins give roles, `Admin{UserList}`, `Mod{UserList}` and `UserList`;
 * the owner's role never changes.
 */
import type { ElementObject } from "../../codec/csp/message.ts";
import type { PrimitiveModule } from "../../session/handler.ts";
import { ProtocolError } from "../../session/status.ts";
import { obj } from "../../session/values.ts";
import type { Mutation } from "../../store/kv.ts";
import type { Groups } from "./element.ts";
import { MAX_MEMBERS } from "./limits.ts";
import type { Role } from "./properties.ts";
import {
  knownUser,
  namedUsers,
  onGroup,
  perUserResult,
  requireRole,
  untouchable,
} from "./standing.ts";

export function memberAccess(g: Groups): PrimitiveModule {
  return {
    name: "MemberAccess-Request",
    function: ["GroupFeat", "GroupAuthFunc", "MBRAC"],
    async handle(ctx, body) {
      return await onGroup(g, ctx, { name: "MemberAccess-Request", body }, async (s) => {
        requireRole(s, "Admin", "Granting roles");
        const wanted = new Map<string, Role>();
        const grant = (element: ElementObject | undefined, role: Role) => {
          for (const user of namedUsers(ctx, element)) wanted.set(user, role);
        };
        grant(obj(body.Admin), "Admin");
        grant(obj(body.Mod), "Mod");
        grant({ UserList: body.UserList }, "User");
        if (wanted.size === 0) throw new ProtocolError(400, "No users named");
        const members = await s.repo.members(s.group.id);
        const failures = new Map<string, number>();
        const mutations: Mutation[] = [];
        for (const [user, role] of wanted) {
          const refusal = untouchable(s, user, members.get(user)) ??
            (await knownUser(ctx, user) ? undefined : 531);
          if (refusal) failures.set(user, refusal);
          else {
            members.set(user, role);
            mutations.push(s.repo.setRole(s.group.id, user, role));
          }
        }
        if (members.size > MAX_MEMBERS) {
          throw new ProtocolError(402, `A group has at most ${MAX_MEMBERS} members`);
        }
        await g.commit(mutations);
        return { name: "Status", body: { Result: perUserResult(wanted.keys(), failures) } };
      });
    },
  };
}
