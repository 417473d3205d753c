/**
 * What a group tells its users when it changes: GroupChangeNotice to subscribed joined users
 * (joins, leaves, property changes), and the unsolicited LeaveGroup-Response that tells a user the
 * server took them out (kicked, banned, group deleted). A user of another domain has no session
 * here: their server is told instead (SSP GroupChangeNotice, LeaveGroupIndication), one
 * transaction per domain. Everything returns mutations, committed with the change that caused
 * them (`Groups.commit`, which then sends what went to other domains).
 */
import type { CspVersion, ElementObject, Primitive } from "../../codec/csp/message.ts";
import {
  type GroupChangeData,
  groupChangeNotice,
  leaveGroupIndication,
} from "../../codec/ssp/mod.ts";
import { describe } from "../../session/status.ts";
import type { Mutation } from "../../store/kv.ts";
import type { NewOutboxEntry } from "../../store/outbox.ts";
import type { Groups } from "./element.ts";
import { propertyElements, type PropertyValues, type Role } from "./properties.ts";
import type { GroupRecord, JoinedRecord } from "./storage.ts";
import { joinedList, type JoinedUser, screenNames, seesUserIds } from "./user_lists.ts";

export interface GroupChange {
  joined?: JoinedUser[];
  left?: string[];
  properties?: PropertyValues;
}

export function changeNotice(
  version: CspVersion,
  groupId: string,
  change: GroupChange,
  withIds: boolean,
): Primitive {
  const body: ElementObject = { GroupID: groupId };
  if (change.joined?.length) body.Joined = joinedList(version, groupId, change.joined, withIds);
  if (change.left?.length) {
    body.Left = { UserList: { ScreenName: screenNames(groupId, change.left) } };
  }
  if (change.properties && Object.keys(change.properties).length > 0) {
    body.GroupProperties = { Property: propertyElements(change.properties) };
  }
  return { name: "GroupChangeNotice", body };
}

/**
 * GroupChangeNotice to every subscribed user of `audience` (on each of their sessions, in the
 * shape of its version), except `actor`, who caused the change and learns of it from the answer.
 */
export async function noticeMutations(
  g: Groups,
  group: GroupRecord,
  audience: JoinedRecord[],
  roles: Map<string, Role>,
  change: GroupChange,
  actor?: string,
): Promise<Mutation[]> {
  const { server } = g;
  const receivers = audience.filter((j) => j.subscribed && j.user !== actor);
  const local = receivers.filter((j) => g.isLocal(j.user));
  const remote = receivers.filter((j) => !g.isLocal(j.user));
  const sessions = await Promise.all(local.map((j) => server.sessions.repo.listByUser(j.user)));
  const items: { sessionId: string; entry: NewOutboxEntry }[] = [];
  local.forEach((receiver, i) => {
    const withIds = seesUserIds(group, roles.get(receiver.user));
    for (const session of sessions[i]) {
      const primitive = changeNotice(session.version, group.id, change, withIds);
      items.push({ sessionId: session.id, entry: { primitive } });
    }
  });
  const mutations = await server.outbox.enqueueManyMutations(items);
  // One notice per domain and view (with or without UserIDs).
  for (const withIds of [false, true]) {
    const users = remote.filter((j) => seesUserIds(group, roles.get(j.user)) === withIds)
      .map((j) => j.user);
    for (const [domain, recipients] of g.byDomain(users)) {
      const notice = groupChangeNotice(
        server.config.domain,
        group.id,
        recipients,
        sspChange(change, withIds),
      );
      mutations.push(...g.notifyRemote(domain, notice));
    }
  }
  return mutations;
}

/**
 * The server took `user` out of the group: an unsolicited LeaveGroup-Response on each session,
 * or, for a user of another domain, their server is told.
 */
export async function removedMutations(
  g: Groups,
  user: string,
  groupId: string,
  code: number,
  description = describe(code),
): Promise<Mutation[]> {
  const { server } = g;
  if (!g.isLocal(user)) {
    return [...g.byDomain([user])].flatMap(([domain, recipients]) =>
      g.notifyRemote(
        domain,
        leaveGroupIndication(server.config.domain, groupId, recipients, code, description),
      )
    );
  }
  const primitive: Primitive = {
    name: "LeaveGroup-Response",
    body: { GroupID: groupId, Result: { Code: code, Description: description } },
  };
  const sessions = await server.sessions.repo.listByUser(user);
  return await server.outbox.enqueueManyMutations(
    sessions.map((s) => ({ sessionId: s.id, entry: { primitive } })),
  );
}

/** A change as a peer's users see it: screen names, with UserIDs only where `withIds`. */
function sspChange(change: GroupChange, withIds: boolean): GroupChangeData {
  return {
    joined: (change.joined ?? []).map((j) => ({
      name: j.screenName,
      ...(withIds ? { userId: j.user } : {}),
    })),
    left: change.left ?? [],
    properties: Object.entries(change.properties ?? {}).map(([name, value]) => ({ name, value })),
  };
}
