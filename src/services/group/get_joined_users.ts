/**
 * GetJoinedUsers-Request (1.2+): who is joined, by screen name. Admins and Mods see roles and
 * UserIDs (AdminMapList); others the names (UserMapList), with UserIDs where ShowID allows.
 * Only members ask a restricted group.
 */
import type { PrimitiveModule } from "../../session/handler.ts";
import { ProtocolError } from "../../session/status.ts";
import { INSUFFICIENT_PRIVILEGES } from "./codes.ts";
import type { Groups } from "./element.ts";
import { effectiveRole, isInsider, onGroup, requireNotRejected } from "./standing.ts";
import { mappings, seesUserIds } from "./user_lists.ts";

export function getJoinedUsers(g: Groups): PrimitiveModule {
  return {
    name: "GetJoinedUsers-Request",
    function: ["GroupFeat", "GroupAuthFunc", "GETJU"],
    versions: ["1.2", "1.3"],
    async handle(ctx, body) {
      return await onGroup(g, ctx, { name: "GetJoinedUsers-Request", body }, async (s) => {
        requireNotRejected(s);
        if (s.group.properties.Accesstype === "Restricted" && !isInsider(s)) {
          throw new ProtocolError(INSUFFICIENT_PRIVILEGES, "Only members see who joined");
        }
        const [joined, roles] = await Promise.all([
          s.repo.joined(s.group.id),
          s.repo.members(s.group.id),
        ]);
        const users = joined.map((j) => ({ screenName: j.screenName, user: j.user }));
        const role = effectiveRole(s);
        if (role === "Admin" || role === "Mod") {
          const having = (wanted: string) =>
            mappings(users.filter((u) => (roles.get(u.user) ?? "User") === wanted), true);
          return {
            name: "GetJoinedUsers-Response",
            body: {
              AdminMapList: {
                AdminMapping: { Mapping: having("Admin") },
                ModMapping: { Mapping: having("Mod") },
                UserMapping: { Mapping: having("User") },
              },
            },
          };
        }
        return {
          name: "GetJoinedUsers-Response",
          body: {
            UserMapList: {
              UserMapping: { Mapping: mappings(users, seesUserIds(s.group, role)) },
            },
          },
        };
      }, false);
    },
  };
}
