/**
 * GetGroupProps-Request, SetGroupProps-Request and GetJoinedUsers-Request. Anyone the group has
 * not rejected may read a public group's properties and joined users (only members, in a
 * restricted one); own properties are the caller's alone. Changed group properties reach the
 * subscribed joined users as a GroupChangeNotice.
 */
import type { ElementObject } from "../../codec/csp/message.ts";
import type { PrimitiveModule } from "../../session/handler.ts";
import { ProtocolError, status } from "../../session/status.ts";
import { obj } from "../../session/values.ts";
import { effectiveRole, isInsider, onGroup, requireRole, type Standing } from "./standing.ts";
import { GROUP_TEXT, INSUFFICIENT_PRIVILEGES, REJECTED } from "./codes.ts";
import { defaultScreenName } from "./membership.ts";
import { commitChunked, mappings, noticeMutations, seesUserIds } from "./group_change_notice.ts";
import {
  checkSearchable,
  DEFAULT_OWN_PROPERTIES,
  propertyElements,
  type PropertyValues,
  readGroupProperties,
  readOwnProperties,
  readWelcomeNote,
  welcomeNoteElement,
} from "./properties.ts";

function requireNotRejected(s: Standing): void {
  if (s.rejected) throw new ProtocolError(REJECTED, GROUP_TEXT[REJECTED]);
}

export const getGroupPropsRequest: PrimitiveModule = {
  name: "GetGroupProps-Request",
  function: ["GroupFeat", "GroupMgmtFunc", "GETGP"],
  async handle(ctx, body) {
    return await onGroup(ctx, { name: "GetGroupProps-Request", body }, async (s) => {
      requireNotRejected(s);
      const joined = await s.repo.joined(s.group.id);
      const properties: ElementObject = {
        Property: propertyElements({ ...s.group.properties, ActiveUsers: String(joined.length) }),
      };
      if (s.group.welcomeNote) properties.WelcomeNote = welcomeNoteElement(s.group.welcomeNote);
      const role = effectiveRole(s);
      const own: PropertyValues = {
        ...DEFAULT_OWN_PROPERTIES,
        ...await s.repo.own(s.group.id, s.user),
        IsMember: s.role ? "T" : "F",
        ...(role ? { PrivilegeLevel: role } : {}),
      };
      return {
        name: "GetGroupProps-Response",
        body: {
          GroupProperties: properties,
          OwnProperties: { Property: propertyElements(own, true) },
        },
      };
    }, false);
  },
};

export const setGroupPropsRequest: PrimitiveModule = {
  name: "SetGroupProps-Request",
  function: ["GroupFeat", "GroupMgmtFunc", "SETGP"],
  async handle(ctx, body) {
    return await onGroup(ctx, { name: "SetGroupProps-Request", body }, async (s) => {
      requireNotRejected(s);
      const groupElement = obj(body.GroupProperties);
      const ownElement = obj(body.OwnProperties);
      if (!groupElement && !ownElement) throw new ProtocolError(400, "Nothing to set");
      if (!isInsider(s)) {
        throw new ProtocolError(
          INSUFFICIENT_PRIVILEGES,
          "Only members and joined users set properties",
        );
      }
      const mutations = [];
      let changed: PropertyValues = {};
      if (groupElement) {
        changed = readGroupProperties(groupElement, effectiveRole(s));
        const welcomeNote = readWelcomeNote(obj(groupElement.WelcomeNote));
        if (welcomeNote) requireRole(s, "Mod", "Changing the WelcomeNote");
        const properties = { ...s.group.properties, ...changed };
        checkSearchable(properties, changed);
        const group = { ...s.group, properties, ...(welcomeNote ? { welcomeNote } : {}) };
        mutations.push(s.repo.putGroup(group));
        if (Object.keys(changed).length > 0) {
          const [joined, roles] = await Promise.all([
            s.repo.joined(s.group.id),
            s.repo.members(s.group.id),
          ]);
          mutations.push(
            ...await noticeMutations(
              ctx.server,
              group,
              joined,
              roles,
              { properties: changed },
              s.user,
            ),
          );
        }
      }
      if (ownElement) {
        const own = {
          ...DEFAULT_OWN_PROPERTIES,
          ...await s.repo.own(s.group.id, s.user),
          ...readOwnProperties(ownElement),
        };
        const screenName = s.joined?.screenName ?? defaultScreenName(s.user);
        mutations.push(...s.repo.ownMutations(s.group.id, s.user, own, screenName));
      }
      await commitChunked(ctx.server, mutations);
      return status(200);
    });
  },
};

/** Admins and Mods see roles and UserIDs (AdminMapList); others the names (UserMapList). */
export const getJoinedUsersRequest: PrimitiveModule = {
  name: "GetJoinedUsers-Request",
  function: ["GroupFeat", "GroupAuthFunc", "GETJU"],
  versions: ["1.2", "1.3"],
  async handle(ctx, body) {
    return await onGroup(ctx, { name: "GetJoinedUsers-Request", body }, async (s) => {
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
          UserMapList: { UserMapping: { Mapping: mappings(users, seesUserIds(s.group, role)) } },
        },
      };
    }, false);
  },
};
