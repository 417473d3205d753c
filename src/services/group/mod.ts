/**
 * The group service element (CSP 1.1-1.3, digest §2.6): groups with properties, members and
 * roles, joined users with screen names, a reject list, change notices through the session
 * outbox, and group messaging through IM. It offers the directory (`hooks.groupDirectory`) and
 * group delivery (`hooks.groupMessaging`); `hooks.groupRelay` is where other domains plug in.
 */
import type { ServerContext } from "../../session/server_context.ts";
import type { Store } from "../../store/kv.ts";
import type { UserDataSpec } from "../accounts.ts";
import type { ServiceElement } from "../mod.ts";
import { groupAdmin } from "./admin.ts";
import { createGroupRequest, deleteGroupRequest } from "./create_group.ts";
import { groupDirectory } from "./directory_service.ts";
import { GroupRepo } from "./repo.ts";
import {
  getGroupPropsRequest,
  getJoinedUsersRequest,
  setGroupPropsRequest,
} from "./group_props.ts";
import { autoJoin, joinGroupRequest, leaveAllGroups, leaveGroupRequest } from "./join_group.ts";
import {
  addGroupMembersRequest,
  getGroupMembersRequest,
  memberAccessRequest,
  removeGroupMembersRequest,
} from "./members.ts";
import { groupMessaging } from "./messaging.ts";
import { rejectListRequest, subscribeGroupNoticeRequest } from "./reject_list.ts";

/**
 * The groups the user owns, whole (their joined users are not told: a later request of theirs
 * to the group gets 800); the user's membership, own properties and bans in other groups (found
 * by scanning: nothing indexes them by user); and the user's indexes, read from last.
 */
async function groupUserData(store: Store, userId: string): Promise<UserDataSpec[]> {
  const repo = new GroupRepo(store);
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

function install(server: ServerContext): void {
  server.hooks.groupDirectory = groupDirectory(server);
  server.hooks.groupMessaging = groupMessaging(server);
  server.hooks.groupAdmin = groupAdmin(server);
  server.sessions.onStart((session) => autoJoin(server, session));
  server.sessions.onEnd((session) => leaveAllGroups(server, session));
}

export const groupElement: ServiceElement = {
  name: "group",
  modules: [
    createGroupRequest,
    deleteGroupRequest,
    joinGroupRequest,
    leaveGroupRequest,
    getGroupPropsRequest,
    setGroupPropsRequest,
    getJoinedUsersRequest,
    getGroupMembersRequest,
    addGroupMembersRequest,
    removeGroupMembersRequest,
    memberAccessRequest,
    rejectListRequest,
    subscribeGroupNoticeRequest,
  ],
  install,
  userData: groupUserData,
};
