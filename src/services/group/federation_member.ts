/**
 * Groups across domains, the member's side: a local user's group primitive about a group of
 * another domain is asked of that group's server while the client waits, and its answer is
 * given in the shape of the client's version, like a local one. A join is remembered here
 * (["relay", "group", "member", user, groupId]) so that only what the group's server sends for
 * groups our users joined reaches them, that their messages to it can be answered at once, and
 * that they leave it when their last session ends (as a local group would take them out).
 * GroupChangeNotices and removals from the group's server reach our users' sessions exactly as a
 * local group's (its messages: IM's federation.ts). A remote group set to AutoJoin
 * (["relay", "group", "autojoin", user, groupId]) is joined again, through the queue, at the
 * user's next login.
 */
import type { ElementObject, Primitive } from "../../codec/csp/message.ts";
import {
  detailedResults,
  GROUP_REQUESTS,
  groupRequest,
  type GroupRequestFields,
  type GroupRequestName,
  type JoinedName,
  readGetGroupMemberResponse,
  readGetGroupPropsResponse,
  readGetJoinedUsersResponse,
  readGroupChangeNotice,
  readJoinGroupResponse,
  readLeaveGroupIndication,
  readRejectListResponse,
  readSubscribed,
  statusCode,
  statusDescription,
} from "../../codec/ssp/mod.ts";
import type { XmlElement } from "../../codec/xml/tree.ts";
import { GROUP_JOIN_SETTLED } from "../../federation/queue.ts";
import { PeerRefused, PeerUnavailable, type SspTransport } from "../../federation/relay.ts";
import type { HandlerReply, RequestContext } from "../../session/handler.ts";
import { describe, status } from "../../session/status.ts";
import { all, bool, obj, str } from "../../session/values.ts";
import { del, type Mutation, set } from "../../store/kv.ts";
import type { SessionRecord } from "../../store/sessions.ts";
import { parseGroupId, parseUserId } from "../shared/ids.ts";
import type { Groups } from "./element.ts";
import { changeNotice, type GroupChange, removedMutations } from "./group_change_notice.ts";
import { AUTO_JOIN_GIVE_UP_MS, GROUP_NOTICE_TARGETS, GROUP_REQUEST_TIMEOUT_MS } from "./limits.ts";
import { defaultScreenName } from "./membership.ts";
import { welcomeNoteElement } from "./properties.ts";
import { joinedList, type JoinedUser, mappings, userList } from "./user_lists.ts";

interface Membership {
  screenName: string;
  joinedAt: number;
}

const membershipPrefix = (user: string) => ["relay", "group", "member", user];
const membershipKey = (user: string, groupId: string) => [...membershipPrefix(user), groupId];

/** The SSP request each CSP primitive becomes (SubscribeGroupNotice by its type). */
const ASKED_AS = new Map<string, GroupRequestName>(
  GROUP_REQUESTS.map((r) => [
    "subscribeType" in r ? `${r.csp}/${r.subscribeType}` : r.csp,
    r.ssp,
  ]),
);

/** A JoinGroupRequest queued for AutoJoin: the user is in once the group's server says yes. */
export interface GroupJoin {
  user: string;
  groupId: string;
  screenName: string;
}

/** A group of another domain the user rejoins at each login (own property AutoJoin T). */
interface AutoJoin {
  screenName: string;
}

const autoJoinPrefix = (user: string) => ["relay", "group", "autojoin", user];
const autoJoinKey = (user: string, groupId: string) => [...autoJoinPrefix(user), groupId];

/**
 * A local user's group primitive about a group of another domain: asked of that group's server
 * while the client waits, and answered in the shape of the client's version; without federation,
 * 516.
 */
export async function forward(
  g: Groups,
  ctx: RequestContext,
  groupId: string,
  request: Primitive,
): Promise<HandlerReply> {
  const domain = parseGroupId(groupId, g.server.config.domain)!.domain;
  const t = g.hooks.federation;
  if (!t) return status(516, `Domain ${domain} is not served by this server`);
  if (!t.allowed(domain)) {
    return status(516, `Domain ${domain} is not federated with`);
  }
  const user = ctx.session!.userId;
  const body = request.body;
  // Leaving a group joined through here needs no answer: the group's server is told (queued,
  // so also while it is down) and the user is out at once.
  if (request.name === "LeaveGroup-Request" && await membership(g, user, groupId)) {
    await g.server.store.write(...leaveMutations(g, t, user, groupId, domain));
    t.send(domain);
    return leaveResponse(groupId);
  }
  const type = str(body.SubscribeType)?.trim().toUpperCase();
  const name = ASKED_AS.get(type ? `${request.name}/${type}` : request.name);
  if (!name) return status(405, `${request.name} is not relayed to other domains`);

  const primitive = groupRequest(
    name,
    g.server.config.domain,
    user,
    groupId,
    fields(request.name, body),
  );
  let answer: XmlElement;
  try {
    answer = await withTimeout(t.request(domain, primitive), domain);
  } catch (error) {
    if (error instanceof PeerRefused) return status(516, error.message);
    if (error instanceof PeerUnavailable) {
      return status(503, `The group's server cannot be reached: ${error.message}`);
    }
    throw error;
  }
  const code = peerCode(statusCode(answer));
  if (code !== 200 && code !== 201) {
    return status(code, statusDescription(answer)?.slice(0, 200) || describe(code));
  }
  return await answered(g, ctx, groupId, request, answer);
}

/** The group server's answer, in the shape a local group would give it. */
async function answered(
  g: Groups,
  ctx: RequestContext,
  groupId: string,
  request: Primitive,
  answer: XmlElement,
): Promise<HandlerReply> {
  const user = ctx.session!.userId;
  const body = request.body;
  await keepAutoJoin(g, user, groupId, request, answer);
  switch (request.name) {
    case "CreateGroup-Request": {
      if (bool(body.JoinGroup)) {
        const screenName = str(obj(body.ScreenName)?.SName)?.trim() ?? defaultScreenName(user);
        await g.server.store.write(
          set(membershipKey(user, groupId), { screenName, joinedAt: Date.now() }),
        );
      }
      return status(200);
    }
    case "RejectList-Request":
      return {
        name: "RejectList-Response",
        body: { UserList: userList(readRejectListResponse(answer)) },
      };
    case "JoinGroup-Request": {
      const a = readJoinGroupResponse(answer);
      const screenName = a.screenName ?? str(obj(body.ScreenName)?.SName)?.trim() ??
        defaultScreenName(user);
      const membership: Membership = { screenName, joinedAt: Date.now() };
      await g.server.store.write(set(membershipKey(user, groupId), membership));
      const out: ElementObject = {};
      if (bool(body.JoinedRequest) && a.joined) {
        const list = joinedList(ctx.version, groupId, joinedUsers(a.joined), hasIds(a.joined));
        // 1.3 wraps the list in Joined; 1.1 and 1.2 send it bare, as for a local group.
        Object.assign(out, ctx.version === "1.3" ? { Joined: list } : list);
      }
      if (ctx.version === "1.3") out.ScreenName = { SName: screenName, GroupID: groupId };
      if (a.welcomeNote) out.WelcomeNote = welcomeNoteElement(a.welcomeNote);
      return { name: "JoinGroup-Response", body: out };
    }
    case "LeaveGroup-Request":
      return leaveResponse(groupId);
    case "GetGroupMembers-Request": {
      const m = readGetGroupMemberResponse(answer);
      return {
        name: "GetGroupMembers-Response",
        body: {
          Admin: { UserList: userList(m.admins) },
          Mod: { UserList: userList(m.moderators) },
          UserList: userList(m.users),
        },
      };
    }
    case "GetJoinedUsers-Request": {
      const j = readGetJoinedUsersResponse(answer);
      const list = (names: JoinedName[]) => ({
        Mapping: mappings(joinedUsers(names), hasIds(names)),
      });
      const body = j.admins || j.moderators
        ? {
          AdminMapList: {
            AdminMapping: list(j.admins ?? []),
            ModMapping: list(j.moderators ?? []),
            UserMapping: list(j.users),
          },
        }
        : { UserMapList: { UserMapping: list(j.users) } };
      return { name: "GetJoinedUsers-Response", body };
    }
    case "GetGroupProps-Request": {
      const p = readGetGroupPropsResponse(answer);
      const group: ElementObject = { Property: cspProperties(p.properties) };
      if (p.welcomeNote) group.WelcomeNote = welcomeNoteElement(p.welcomeNote);
      return {
        name: "GetGroupProps-Response",
        body: { GroupProperties: group, OwnProperties: { Property: cspProperties(p.own) } },
      };
    }
    default:
      if (str(body.SubscribeType)?.trim().toUpperCase() === "G") {
        return {
          name: "SubscribeGroupNotice-Response",
          body: { Value: readSubscribed(answer) ? "T" : "F" },
        };
      }
      return peerStatus(answer);
  }
}

/**
 * Remembers, or forgets, a remote group the user set AutoJoin for (in a JoinGroup or
 * SetGroupProps the group's server took), as the group element does for local groups.
 */
async function keepAutoJoin(
  g: Groups,
  user: string,
  groupId: string,
  request: Primitive,
  answer: XmlElement,
) {
  if (request.name !== "JoinGroup-Request" && request.name !== "SetGroupProps-Request") return;
  const own = properties(obj(request.body.OwnProperties) ?? {});
  const autoJoin = own.find((p) => p.name === "AutoJoin")?.value.toUpperCase();
  if (autoJoin !== "T" && autoJoin !== "F") return;
  if (autoJoin === "F") return await g.server.store.write(del(autoJoinKey(user, groupId)));
  const screenName = readJoinGroupResponse(answer).screenName ??
    (await membership(g, user, groupId))?.screenName ??
    str(obj(request.body.ScreenName)?.SName)?.trim() ?? defaultScreenName(user);
  await g.server.store.write(set(autoJoinKey(user, groupId), { screenName }));
}

/** A new session: the user rejoins the remote groups set to AutoJoin (queued, so also while
 * their servers are down; joined once a server says yes). */
export async function autoJoinRemote(
  g: Groups,
  t: SspTransport,
  session: SessionRecord,
): Promise<void> {
  const user = session.userId;
  const mutations: Mutation[] = [];
  const domains = new Set<string>();
  for (const { key, value } of await g.server.store.list<AutoJoin>(autoJoinPrefix(user))) {
    const groupId = String(key[key.length - 1]);
    const domain = parseGroupId(groupId, g.server.config.domain)?.domain;
    if (!domain || await membership(g, user, groupId)) continue;
    const primitive = groupRequest(
      "JoinGroupRequest",
      g.server.config.domain,
      user,
      groupId,
      {
        screenName: value.screenName,
      },
    );
    mutations.push(t.enqueue(domain, {
      kind: "request",
      primitive,
      giveUpAt: Date.now() + AUTO_JOIN_GIVE_UP_MS,
      settle: { by: GROUP_JOIN_SETTLED, data: { user, groupId, screenName: value.screenName } },
    }));
    domains.add(domain);
  }
  if (mutations.length === 0) return;
  await g.server.store.writeAll(mutations);
  for (const domain of domains) t.send(domain);
}

/** The group's server took a queued join (AutoJoin): the user is in. */
export async function joined(g: Groups, join: GroupJoin): Promise<void> {
  if ((await g.server.sessions.repo.listByUser(join.user)).length === 0) return;
  await g.server.store.write(
    set(membershipKey(join.user, join.groupId), {
      screenName: join.screenName,
      joinedAt: Date.now(),
    }),
  );
}

/** The user's last session ended: they leave every group of another domain they joined. */
export async function leaveAllRemote(
  g: Groups,
  t: SspTransport,
  session: SessionRecord,
): Promise<void> {
  const user = session.userId;
  if (await g.server.sessions.repo.hasSessions(user)) return;
  const domains = new Set<string>();
  const mutations: Mutation[] = [];
  for (const { key } of await g.server.store.list(membershipPrefix(user))) {
    const groupId = String(key[key.length - 1]);
    const domain = parseGroupId(groupId, g.server.config.domain)?.domain;
    if (!domain) continue;
    mutations.push(...leaveMutations(g, t, user, groupId, domain));
    domains.add(domain);
  }
  if (mutations.length === 0) return;
  await g.server.store.writeAll(mutations);
  for (const domain of domains) t.send(domain);
}

/** A GroupChangeNotice for our users: queued to their sessions in their versions' shapes. */
export async function noticed(g: Groups, peer: string, p: XmlElement): Promise<undefined> {
  const notice = readGroupChangeNotice(p);
  const group = notice && parseGroupId(notice.groupId, peer);
  if (!notice || !group || group.domain !== peer) return undefined;
  const { joined, left, properties } = notice.data;
  const change: GroupChange = {
    ...(joined.length ? { joined: joinedUsers(joined) } : {}),
    ...(left.length ? { left } : {}),
    ...(properties.length
      ? { properties: Object.fromEntries(properties.map((q) => [q.name, q.value])) }
      : {}),
  };
  const items = [];
  for (const user of await members(g, notice.recipients, group.id)) {
    for (const session of await g.server.sessions.repo.listByUser(user)) {
      const primitive = changeNotice(session.version, group.id, change, hasIds(joined));
      items.push({ sessionId: session.id, entry: { primitive } });
    }
  }
  await g.server.store.writeAll(await g.server.outbox.enqueueManyMutations(items));
  return undefined;
}

/** The group's server took our users out: they are told as by a local group. */
export async function removed(g: Groups, peer: string, p: XmlElement): Promise<undefined> {
  const indication = readLeaveGroupIndication(p);
  const group = indication && parseGroupId(indication.groupId, peer);
  if (!indication || !group || group.domain !== peer) return undefined;
  // Only a refusal makes sense here; anything else is told as the group being gone.
  const code = indication.data.code >= 400 && indication.data.code < 900
    ? indication.data.code
    : 800;
  const reason = indication.data.reason?.slice(0, 200) ?? describe(code);
  const mutations: Mutation[] = [];
  for (const user of await members(g, indication.recipients, group.id)) {
    mutations.push(
      del(membershipKey(user, group.id)),
      ...await removedMutations(g, user, group.id, code, reason),
    );
  }
  await g.server.store.writeAll(mutations);
  return undefined;
}

function membership(g: Groups, user: string, groupId: string): Promise<Membership | undefined> {
  return g.server.store.get<Membership>(membershipKey(user, groupId));
}

/** The named users of ours who joined the group through here. */
async function members(g: Groups, named: string[], groupId: string): Promise<string[]> {
  const users = [
    ...new Set(named.slice(0, GROUP_NOTICE_TARGETS).map((raw) => localUser(g, raw))),
  ]
    .filter((u): u is string => u !== undefined);
  const joined = await Promise.all(users.map((u) => membership(g, u, groupId)));
  return users.filter((_, i) => joined[i]);
}

function localUser(g: Groups, raw: string): string | undefined {
  const { domain } = g.server.config;
  const address = parseUserId(raw, domain);
  return address?.domain === domain ? address.id : undefined;
}

function leaveMutations(
  g: Groups,
  t: SspTransport,
  user: string,
  groupId: string,
  domain: string,
): Mutation[] {
  return [
    del(membershipKey(user, groupId)),
    t.enqueue(domain, {
      kind: "request",
      primitive: groupRequest("LeaveGroupRequest", g.server.config.domain, user, groupId),
      giveUpAt: t.giveUpAt(),
    }),
  ];
}

/** Those of `users` (ours) joined to `groupId` of another domain through this server: the
 * receivers of the group's messages here, and who may post to it. */
export async function joinedRemotely(
  g: Groups,
  groupId: string,
  users: readonly string[],
): Promise<string[]> {
  const joined = await Promise.all(users.map((user) => membership(g, user, groupId)));
  return users.filter((_, i) => joined[i]);
}

/** What a CSP group request carries that its SSP request does too. */
function fields(name: string, body: ElementObject): GroupRequestFields {
  const group = obj(body.GroupProperties);
  const own = obj(body.OwnProperties);
  const note = obj(group?.WelcomeNote);
  return {
    ...(name === "AddGroupMembers-Request" || name === "RemoveGroupMembers-Request"
      ? { users: idsIn(body) }
      : {}),
    ...(name === "MemberAccess-Request"
      ? {
        roles: {
          admins: idsIn(obj(body.Admin)),
          moderators: idsIn(obj(body.Mod)),
          users: idsIn({ UserList: body.UserList }),
        },
      }
      : {}),
    ...(name === "RejectList-Request"
      ? { rejectAdd: idsIn(obj(body.AddList)), rejectRemove: idsIn(obj(body.RemoveList)) }
      : {}),
    ...(name === "CreateGroup-Request" ? { join: bool(body.JoinGroup) ?? false } : {}),
    screenName: str(obj(body.ScreenName)?.SName)?.trim(),
    joinedList: bool(body.JoinedRequest) ?? false,
    subscribe: bool(body.SubscribeNotification) ?? false,
    ...(group ? { groupProperties: properties(group) } : {}),
    ...(note
      ? {
        welcomeNote: {
          contentType: str(note.ContentType)?.trim() ?? "text/plain",
          encoding: /^base64$/i.test(str(note.ContentEncoding)?.trim() ?? "") ? "BASE64" : "None",
          data: str(note.ContentData) ?? "",
        },
      }
      : {}),
    ...(own ? { ownProperties: properties(own) } : {}),
  };
}

/** The UserIDs a CSP element lists (`UserList{User{UserID}}`, `UserIDList`, bare `UserID`). */
const idsIn = (element: ElementObject | undefined): string[] =>
  element
    ? [
      ...all(obj(element.UserList)?.User).map((u) => str(obj(u)?.UserID)?.trim()),
      ...all(obj(element.UserIDList)?.UserID).map((u) => str(u)?.trim()),
      ...all(element.UserID).map((u) => str(u)?.trim()),
    ].filter((id): id is string => !!id)
    : [];

/** A peer's Status as the client's Status, with the users its DetailedResults name. */
function peerStatus(answer: XmlElement): Primitive {
  const code = peerCode(statusCode(answer));
  // Bounded as any peer's input: the client gets at most what a local answer could name.
  const details = detailedResults(answer).slice(0, 16).map((d) => ({
    Code: peerCode(d.code),
    ...(d.description ? { Description: d.description.slice(0, 200) } : {}),
    ...(d.userIds?.length ? { UserID: d.userIds.slice(0, GROUP_NOTICE_TARGETS) } : {}),
  }));
  return {
    name: "Status",
    body: {
      Result: {
        Code: code,
        Description: statusDescription(answer)?.slice(0, 200) || describe(code),
        ...(details.length ? { DetailedResult: details } : {}),
      },
    },
  };
}

const properties = (element: ElementObject) =>
  all(element.Property).flatMap((p) => {
    const name = str(obj(p)?.Name)?.trim();
    return name ? [{ name, value: str(obj(p)?.Value)?.trim() ?? "" }] : [];
  });

const cspProperties = (list: { name: string; value: string }[]) =>
  list.map((p) => ({ Name: p.name, Value: p.value }));

const joinedUsers = (names: JoinedName[]): JoinedUser[] =>
  names.map((n) => ({ screenName: n.name, user: n.userId ?? "" }));

/** UserIDs are shown only when the group's server gave them for everyone listed. */
const hasIds = (names: JoinedName[]) => names.length > 0 && names.every((n) => n.userId);

function leaveResponse(groupId: string): Primitive {
  return {
    name: "LeaveGroup-Response",
    body: { GroupID: groupId, Result: { Code: 200, Description: describe(200) } },
  };
}

/**
 * A peer's status code as our client may see it: success, a refusal (4xx, 5xx) or a group code
 * (8xx); session codes (6xx) and anything else would mislead the client, so they become 500.
 */
function peerCode(code: number | undefined): number {
  if (code === undefined) return 500;
  if (code === 200 || code === 201) return code;
  return (code >= 400 && code < 600) || (code >= 800 && code < 900) ? code : 500;
}

/** The group's server gets a bounded time to answer while the client waits. */
function withTimeout(promise: Promise<XmlElement>, domain: string): Promise<XmlElement> {
  let timer: ReturnType<typeof setTimeout>;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new PeerUnavailable(`${domain} gave no answer in time`)),
      GROUP_REQUEST_TIMEOUT_MS,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
