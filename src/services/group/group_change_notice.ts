/**
 * What the group element sends through the session outbox: GroupChangeNotice to subscribed
 * joined users (joins, leaves, property changes) and the unsolicited LeaveGroup-Response that
 * tells a user the server took them out of a group (kicked, banned, group deleted). Everything
 * returns mutations, committed with the change that caused them.
 */
import type { CspVersion, ElementObject, Primitive } from "../../codec/csp/message.ts";
import { describe } from "../../session/status.ts";
import type { ServerContext } from "../../session/handler.ts";
import type { Mutation } from "../../store/kv.ts";
import { parseUserId } from "../shared/ids.ts";
import type { NewOutboxEntry } from "../../store/outbox.ts";
import { atLeast, propertyElements, type PropertyValues, type Role } from "./properties.ts";
import type { GroupRecord, JoinedRecord } from "./repo.ts";

/** One joined user as others see them: the screen name, and the UserID where it may be shown. */
export interface JoinedUser {
  screenName: string;
  user: string;
}

export interface GroupChange {
  joined?: JoinedUser[];
  left?: string[];
  properties?: PropertyValues;
}

/** Whether a viewer of `role` sees members' UserIDs: Admins and Mods always, others by ShowID. */
export const seesUserIds = (group: GroupRecord, role: Role | undefined) =>
  atLeast(role, "Mod") || group.properties.ShowID === "T";

const screenNames = (groupId: string, names: string[]) =>
  names.map((SName) => ({ SName, GroupID: groupId }));

/** Joined users in the shape of the version: 1.1 UserList of ScreenNames, 1.2+ UserMapList. */
export function joinedList(
  version: CspVersion,
  groupId: string,
  users: JoinedUser[],
  withIds: boolean,
): ElementObject {
  if (version === "1.1") {
    return { UserList: { ScreenName: screenNames(groupId, users.map((u) => u.screenName)) } };
  }
  return { UserMapList: { UserMapping: { Mapping: mappings(users, withIds) } } };
}

export function mappings(users: JoinedUser[], withIds: boolean): ElementObject[] {
  return users.map((u) =>
    withIds ? { SName: u.screenName, UserID: u.user } : { SName: u.screenName }
  );
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
 * Users of other domains have no session here: their notices go to the relay.
 */
export async function noticeMutations(
  server: ServerContext,
  group: GroupRecord,
  audience: JoinedRecord[],
  roles: Map<string, Role>,
  change: GroupChange,
  actor?: string,
): Promise<Mutation[]> {
  const receivers = audience.filter((j) => j.subscribed && j.user !== actor);
  const local = receivers.filter((j) => isLocal(server, j.user));
  const remote = receivers.filter((j) => !isLocal(server, j.user))
    .map((j) => ({ user: j.user, withIds: seesUserIds(group, roles.get(j.user)) }));
  const sessions = await Promise.all(local.map((j) => server.sessions.repo.listByUser(j.user)));
  const items: { sessionId: string; entry: NewOutboxEntry }[] = [];
  local.forEach((receiver, i) => {
    const withIds = seesUserIds(group, roles.get(receiver.user));
    for (const session of sessions[i]) {
      const primitive = changeNotice(session.version, group.id, change, withIds);
      items.push({ sessionId: session.id, entry: { primitive } });
    }
  });
  const relay = server.hooks.groupRelay;
  return [
    ...await server.outbox.enqueueManyMutations(items),
    ...(relay && remote.length > 0 ? relay.noticeMutations(group.id, remote, change) : []),
  ];
}

/**
 * The server took `user` out of the group: an unsolicited LeaveGroup-Response on each session,
 * or, for a user of another domain, the relay tells their server.
 */
export async function removedMutations(
  server: ServerContext,
  user: string,
  groupId: string,
  code: number,
  description = describe(code),
): Promise<Mutation[]> {
  if (!isLocal(server, user)) {
    return server.hooks.groupRelay?.removalMutations(groupId, [user], code, description) ?? [];
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

/** Whether `user` (a normalised UserID) is one of this server's users. */
export const isLocal = (server: ServerContext, user: string) =>
  parseUserId(user, server.config.domain)?.domain === server.config.domain;

/** Mutations per write: well under KV's 1000 per commit. */
const MUTATIONS_PER_WRITE = 400;

/**
 * Commits in writes of bounded size, all in flight together; resolves when all are durable.
 * Then the relay sends what they queued for other domains.
 */
export async function commitChunked(server: ServerContext, mutations: Mutation[]): Promise<void> {
  const writes: Promise<void>[] = [];
  for (let i = 0; i < mutations.length; i += MUTATIONS_PER_WRITE) {
    writes.push(server.store.write(...mutations.slice(i, i + MUTATIONS_PER_WRITE)));
  }
  await Promise.all(writes);
  server.hooks.groupRelay?.flush();
}
