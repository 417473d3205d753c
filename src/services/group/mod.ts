/**
 * The group service element (CSP 1.1-1.3, digest §2.6): groups with properties, members and
 * roles, joined users with screen names, a reject list, change notices through the session
 * outbox, and group messaging through IM. It offers the directory (search, invitations, shared
 * content) and group messaging (IM); groups of other domains and users of other domains in ours
 * go through the SSP transport (`federation.ts`).
 */
import type { ServerContext, ServiceElement, UserDataSpec } from "../../session/handler.ts";
import { addGroupMembers } from "./add_group_members.ts";
import { type GroupAdmin, groupAdmin } from "./admin.ts";
import { createGroup } from "./create_group.ts";
import { deleteGroup } from "./delete_group.ts";
import { type GroupDirectory, groupDirectory } from "./directory.ts";
import { Groups } from "./element.ts";
import { serveGroups } from "./federation.ts";
import { getGroupMembers } from "./get_group_members.ts";
import { getGroupProps } from "./get_group_props.ts";
import { getJoinedUsers } from "./get_joined_users.ts";
import type { GroupHooks } from "./hooks.ts";
import { autoJoin, joinGroup } from "./join_group.ts";
import { leaveAllGroups, leaveGroup } from "./leave_group.ts";
import { memberAccess } from "./member_access.ts";
import { type GroupMessaging, groupMessaging } from "./messaging.ts";
import { rejectList } from "./reject_list.ts";
import { removeGroupMembers } from "./remove_group_members.ts";
import { GroupRepo } from "./repo.ts";
import { setGroupProps } from "./set_group_props.ts";
import { subscribeGroupNotice } from "./subscribe_group_notice.ts";

export interface GroupElement extends ServiceElement {
  readonly hooks: GroupHooks;
  /** Search, invitations and shared content ask it about groups. */
  readonly directory: GroupDirectory;
  /** IM asks it who receives a message to a group. */
  readonly messaging: GroupMessaging;
  /** The operator's view of groups (the admin API). */
  readonly admin: GroupAdmin;
}

export function createGroupElement(server: ServerContext, hooks: GroupHooks = {}): GroupElement {
  const g = new Groups(server, hooks, new GroupRepo(server.store));
  server.sessions.onStart((session) => autoJoin(g, session));
  server.sessions.onEnd((session) => leaveAllGroups(g, session));
  if (hooks.federation) serveGroups(g, hooks.federation);
  return {
    name: "group",
    modules: [
      createGroup(g),
      deleteGroup(g),
      joinGroup(g),
      leaveGroup(g),
      getGroupProps(g),
      setGroupProps(g),
      getJoinedUsers(g),
      getGroupMembers(g),
      addGroupMembers(g),
      removeGroupMembers(g),
      memberAccess(g),
      rejectList(g),
      subscribeGroupNotice(g),
    ],
    hooks,
    directory: groupDirectory(g),
    messaging: groupMessaging(g),
    admin: groupAdmin(g),
    userData: (userId) => groupUserData(g, userId),
  };
}

/**
 * The groups the user owns, whole (their joined users are not told: a later request of theirs
 * to the group gets 800); the user's membership, own properties and bans in other groups (found
 * by scanning: nothing indexes them by user); and the user's indexes, read from last.
 */
async function groupUserData({ server, repo }: Groups, userId: string): Promise<UserDataSpec[]> {
  const { store } = server;
  const specs: UserDataSpec[] = [];
  for (const { key } of await store.list(["group", "owned", userId])) {
    const groupId = String(key[3]);
    for (const kind of ["joined", "own"]) {
      for (const entry of await store.list(["group", kind, groupId])) {
        const index = kind === "joined" ? "user_joined" : "autojoin";
        specs.push({ prefix: ["group", index, String(entry.key[3]), groupId] });
      }
    }
    for (const kind of ["member", "joined", "sname", "reject", "own"]) {
      specs.push({ prefix: ["group", kind, groupId] });
    }
    specs.push({ prefix: ["group", "info", groupId] });
  }
  for (const joined of await store.list(["group", "user_joined", userId])) {
    const groupId = String(joined.key[3]);
    const record = await repo.joinedRecord(groupId, userId);
    if (record) specs.push(...repo.leaveMutations(groupId, record).map((m) => ({ prefix: m.key })));
  }
  for (const kind of ["member", "reject", "own"]) specs.push({ scan: ["group", kind], part: 3 });
  for (const kind of ["user_joined", "autojoin", "owned"]) {
    specs.push({ prefix: ["group", kind, userId] });
  }
  return specs;
}
