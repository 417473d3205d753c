/**
 * The member list and roles: GetGroupMembers, AddGroupMembers, RemoveGroupMembers and
 * MemberAccess. Members are the users named explicitly (and the owner); in an Open group anyone
 * may join without being one. Mods and Admins manage Users; only Admins grant roles; the owner's
 * role never changes. A member removed from a restricted group is taken out of it (810).
 */
import type { ElementObject } from "../../codec/csp/message.ts";
import type { PrimitiveModule, RequestContext } from "../../session/handler.ts";
import { ProtocolError } from "../../session/status.ts";
import { obj } from "../../session/values.ts";
import type { Mutation } from "../../store/kv.ts";
import { parseUserId } from "../shared/ids.ts";
import {
  effectiveRole,
  isInsider,
  namedUsers,
  onGroup,
  perUserResult,
  requireRole,
  type Standing,
  userList,
} from "./standing.ts";
import { GROUP_TEXT, INSUFFICIENT_PRIVILEGES, NOT_A_MEMBER } from "./codes.ts";
import { MAX_MEMBERS } from "./limits.ts";
import { leaveMutations } from "./membership.ts";
import { commitChunked, removedMutations } from "./group_change_notice.ts";
import { atLeast, type Role } from "./properties.ts";

export const getGroupMembersRequest: PrimitiveModule = {
  name: "GetGroupMembers-Request",
  function: ["GroupFeat", "GroupAuthFunc", "GETGM"],
  async handle(ctx, body) {
    return await onGroup(ctx, { name: "GetGroupMembers-Request", body }, async (s) => {
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

/** Whether a named user can be a member: a local account, or anyone of another domain. */
async function knownUser(ctx: RequestContext, id: string): Promise<boolean> {
  const address = parseUserId(id, ctx.server.config.domain);
  if (!address) return false;
  return address.domain !== ctx.server.config.domain || !!await ctx.server.users.get(address.id);
}

export const addGroupMembersRequest: PrimitiveModule = {
  name: "AddGroupMembers-Request",
  function: ["GroupFeat", "GroupAuthFunc", "ADDGM"],
  async handle(ctx, body) {
    return await onGroup(ctx, { name: "AddGroupMembers-Request", body }, async (s) => {
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
      await commitChunked(ctx.server, mutations);
      return { name: "Status", body: { Result: perUserResult(users, failures) } };
    });
  },
};

/** Takes a user who lost their membership out of a group only members may be in. */
async function dropIfRestricted(ctx: RequestContext, s: Standing, user: string) {
  const restricted = s.group.properties.Accesstype === "Restricted" ||
    s.group.properties.Type === "Private";
  const joined = restricted ? await s.repo.joinedRecord(s.group.id, user) : undefined;
  if (!joined) return [];
  return [
    ...await leaveMutations(ctx.server, s.repo, s.group, joined),
    ...await removedMutations(ctx.server, user, s.group.id, NOT_A_MEMBER, GROUP_TEXT[NOT_A_MEMBER]),
  ];
}

/** Why the caller may not change `user`'s membership or role, if so. */
function untouchable(s: Standing, user: string, current: Role | undefined): number | undefined {
  if (user === s.group.owner) return INSUFFICIENT_PRIVILEGES;
  // A Mod manages Users only; an Admin manages everyone but the owner.
  if (effectiveRole(s) !== "Admin" && atLeast(current, "Mod")) return INSUFFICIENT_PRIVILEGES;
  return undefined;
}

export const removeGroupMembersRequest: PrimitiveModule = {
  name: "RemoveGroupMembers-Request",
  function: ["GroupFeat", "GroupAuthFunc", "RMVGM"],
  async handle(ctx, body) {
    return await onGroup(ctx, { name: "RemoveGroupMembers-Request", body }, async (s) => {
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
          ...await dropIfRestricted(ctx, s, user),
        );
      }
      await commitChunked(ctx.server, mutations);
      return { name: "Status", body: { Result: perUserResult(users, failures) } };
    });
  },
};

/** MemberAccess-Request: `Admin{UserList}`, `Mod{UserList}` and `UserList` get those roles. */
export const memberAccessRequest: PrimitiveModule = {
  name: "MemberAccess-Request",
  function: ["GroupFeat", "GroupAuthFunc", "MBRAC"],
  async handle(ctx, body) {
    return await onGroup(ctx, { name: "MemberAccess-Request", body }, async (s) => {
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
      await commitChunked(ctx.server, mutations);
      return { name: "Status", body: { Result: perUserResult(wanted.keys(), failures) } };
    });
  },
};
