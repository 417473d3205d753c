/**
 * The group service element (CSP 1.1-1.3, digest §2.6): groups with properties, members and
 * roles, joined users with screen names, a reject list, change notices through the session
 * outbox, and group messaging through IM. It offers the directory (`hooks.groupDirectory`) and
 * group delivery (`hooks.groupMessaging`); `hooks.groupRelay` is where other domains plug in.
 */
import type { ServerContext } from "../../session/server_context.ts";
import type { ServiceElement } from "../mod.ts";
import { groupAdmin } from "./admin.ts";
import { createGroupRequest, deleteGroupRequest } from "./create_group.ts";
import { groupDirectory } from "./directory_service.ts";
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
};
