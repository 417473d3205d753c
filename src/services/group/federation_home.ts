/**
 * Groups across domains, the group's side: a peer's group requests on behalf of its users are
 * served by the group element's own primitives, run for that remote user (so roles, bans,
 * screen names and notices apply exactly as for a local user). What the group sends its joined
 * users of other domains (GroupChangeNotices, removals: group_change_notice.ts; message copies:
 * IM's federation.ts) is queued per domain, one transaction naming every receiver of that domain.
 */
import type { ElementObject, ElementValue } from "../../codec/csp/message.ts";
import {
  getGroupMemberResponse,
  getGroupPropsResponse,
  getGroupSubStatusResponse,
  getJoinedUsersResponse,
  GROUP_REQUESTS,
  type GroupProperty,
  type GroupRequestFields,
  type GroupRequestName,
  type JoinedName,
  joinGroupResponse,
  readGroupRequestFields,
  readGroupRequestHead,
  rejectListResponse,
  status,
  type WelcomeNoteData,
} from "../../codec/ssp/mod.ts";
import type { XmlElement } from "../../codec/xml/tree.ts";
import type { HandlerReply, RequestContext } from "../../session/handler.ts";
import { describe, ProtocolError } from "../../session/status.ts";
import { all, int, nested, obj, str } from "../../session/values.ts";
import { parseGroupId, parseUserId } from "../shared/ids.ts";
import type { Groups } from "./element.ts";

/** The version the group primitives run in for a peer: its answers carry the most. */
const PEER_VERSION = "1.3";

/** A peer's group request about one of our groups, run as its user's own request. */
export async function serveGroupRequest(
  g: Groups,
  peer: string,
  name: GroupRequestName,
  p: XmlElement,
): Promise<XmlElement> {
  const head = readGroupRequestHead(p);
  if (!head?.user) return status(400, `Malformed ${name}`);
  const user = parseUserId(head.user, peer);
  if (!user || user.domain !== peer) {
    return status(402, "The user is not of the requesting domain");
  }
  const refusal = notOurGroup(g, head.groupId);
  if (refusal) return refusal;
  const address = parseGroupId(head.groupId, g.server.config.domain)!;
  const groupId = address.id;
  // A group is named after its creator's user part: here that part belongs to our own user of
  // that name, so a user of another domain cannot take it.
  if (
    name === "CreateGroupRequest" &&
    await g.server.users.get(`wv:${address.owner}@${g.server.config.domain}`)
  ) {
    return status(806, `wv:${address.owner}@${g.server.config.domain} names groups here`);
  }
  const served = GROUP_REQUESTS.find((r) => r.ssp === name)!;
  const module = g.server.registry.primitive(served.csp, PEER_VERSION);
  if (!module) return status(405, `${name} is not supported`);
  const subscribeType = "subscribeType" in served ? served.subscribeType : undefined;
  const body = cspRequest(groupId, readGroupRequestFields(p), subscribeType);
  try {
    return sspAnswer(groupId, await module.handle(remoteContext(g, peer, user.id), body));
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    return status(error.code, error.message || describe(error.code));
  }
}

/**
 * A copy of a group message could not reach its receivers' server until it was given up (or
 * the domain is refused now): they leave the group, as if they had asked to, so that the group
 * stops sending them its traffic and the others hear they left. Their server, if it comes
 * back, learns it the first time one of them uses the group (808).
 */
export async function dropUnreachable(
  g: Groups,
  domain: string,
  groupId: string,
  receivers: string[],
): Promise<void> {
  const module = g.server.registry.primitive("LeaveGroup-Request", PEER_VERSION)!;
  for (const user of receivers) {
    try {
      await module.handle(remoteContext(g, domain, user), { GroupID: groupId });
    } catch (error) {
      // Gone already (left, kicked, or an earlier lost copy took them out).
      if (!(error instanceof ProtocolError)) throw error;
    }
  }
}

/** 800 for what is not a group id, 516 for a group of a third domain (never relayed on). */
export function notOurGroup(g: Groups, raw: string): XmlElement | undefined {
  const { domain } = g.server.config;
  const address = parseGroupId(raw, domain);
  if (!address) return status(800, "Group does not exist");
  if (address.domain !== domain) {
    return status(516, `Domain ${address.domain} is not served here`);
  }
  return undefined;
}

/** A request context for a user of another domain: no session of theirs lives here. */
function remoteContext(
  { server }: Groups,
  peer: string,
  user: string,
): RequestContext {
  const now = Date.now();
  return {
    server,
    version: PEER_VERSION,
    transactionId: `ssp-${peer}`,
    session: {
      id: `ssp:${peer}:${user}`,
      userId: user,
      version: PEER_VERSION,
      ttl: 0,
      expiresAt: now,
      createdAt: now,
      multiTrans: 1,
    },
  };
}

// ---- SSP request → CSP request -----------------------------------------------------------------

const cspProperties = (properties: GroupProperty[]) => ({
  Property: properties.map((p) => ({ Name: p.name, Value: p.value })),
});

function cspRequest(
  groupId: string,
  f: GroupRequestFields,
  subscribeType: string | undefined,
): ElementObject {
  const body: ElementObject = { GroupID: groupId };
  if (subscribeType) body.SubscribeType = subscribeType;
  if (f.screenName !== undefined) body.ScreenName = { SName: f.screenName, GroupID: groupId };
  if (f.joinedList) body.JoinedRequest = true;
  if (f.subscribe) body.SubscribeNotification = true;
  if (f.groupProperties || f.welcomeNote) {
    const group: ElementObject = cspProperties(f.groupProperties ?? []);
    if (f.welcomeNote) {
      group.WelcomeNote = {
        ContentType: f.welcomeNote.contentType,
        ContentEncoding: f.welcomeNote.encoding,
        ContentData: f.welcomeNote.data,
      };
    }
    body.GroupProperties = group;
  }
  if (f.ownProperties) body.OwnProperties = cspProperties(f.ownProperties);
  if (f.users) body.UserList = userListOf(f.users);
  if (f.roles) {
    body.Admin = { UserList: userListOf(f.roles.admins) };
    body.Mod = { UserList: userListOf(f.roles.moderators) };
    body.UserList = userListOf(f.roles.users);
  }
  if (f.rejectAdd) body.AddList = { UserList: userListOf(f.rejectAdd) };
  if (f.rejectRemove) body.RemoveList = { UserList: userListOf(f.rejectRemove) };
  if (f.join !== undefined) body.JoinGroup = f.join;
  return body;
}

const userListOf = (users: string[]) => ({ User: users.map((id) => ({ UserID: id })) });

// ---- CSP answer → SSP answer -------------------------------------------------------------------

function sspAnswer(groupId: string, reply: HandlerReply): XmlElement {
  if (!reply || Array.isArray(reply)) return status(500, "No answer");
  const body = reply.body;
  switch (reply.name) {
    case "JoinGroup-Response":
      return joinGroupResponse(groupId, {
        joined: body.Joined === undefined ? undefined : joinedNames(obj(body.Joined)?.UserMapList),
        screenName: str(obj(body.ScreenName)?.SName),
        welcomeNote: welcomeNote(obj(body.WelcomeNote)),
      });
    case "GetGroupMembers-Response":
      return getGroupMemberResponse({
        admins: userIdsOf(obj(nested(body, "Admin", "UserList"))),
        moderators: userIdsOf(obj(nested(body, "Mod", "UserList"))),
        users: userIdsOf(obj(body.UserList)),
      });
    case "GetJoinedUsers-Response": {
      const admin = obj(body.AdminMapList);
      if (admin) {
        return getJoinedUsersResponse({
          admins: mappingNames(admin.AdminMapping),
          moderators: mappingNames(admin.ModMapping),
          users: mappingNames(admin.UserMapping),
        });
      }
      return getJoinedUsersResponse({
        users: mappingNames(obj(body.UserMapList)?.UserMapping),
      });
    }
    case "GetGroupProps-Response": {
      const group = obj(body.GroupProperties);
      return getGroupPropsResponse({
        properties: propertiesOf(group),
        welcomeNote: welcomeNote(obj(group?.WelcomeNote)),
        own: propertiesOf(obj(body.OwnProperties)),
      });
    }
    case "SubscribeGroupNotice-Response":
      return getGroupSubStatusResponse(groupId, str(body.Value) === "T");
    case "RejectList-Response":
      return rejectListResponse(userIdsOf(obj(body.UserList)));
    default: {
      // Status, LeaveGroup-Response: only the result travels, with the users it names.
      const result = obj(body.Result);
      const code = int(result?.Code) ?? 200;
      const details = all(result?.DetailedResult).map((d) => ({
        code: int(obj(d)?.Code) ?? 500,
        description: str(obj(d)?.Description),
        userIds: all(obj(d)?.UserID).map((u) => str(u)).filter((u): u is string => !!u),
      }));
      return status(code, str(result?.Description) ?? describe(code), details);
    }
  }
}

type Value = ElementValue | ElementValue[] | undefined;

function joinedNames(list: Value): JoinedName[] {
  return mappingNames(obj(list)?.UserMapping);
}

function mappingNames(mapping: Value): JoinedName[] {
  return all(obj(mapping)?.Mapping).flatMap((m) => {
    const name = str(obj(m)?.SName);
    const userId = str(obj(m)?.UserID);
    return name === undefined ? [] : [{ name, ...(userId ? { userId } : {}) }];
  });
}

const userIdsOf = (list: ElementObject | undefined) =>
  all(list?.User).map((u) => str(obj(u)?.UserID)).filter((id): id is string => !!id);

const propertiesOf = (element: ElementObject | undefined): GroupProperty[] =>
  all(element?.Property).flatMap((p) => {
    const name = str(obj(p)?.Name);
    return name === undefined ? [] : [{ name, value: str(obj(p)?.Value) ?? "" }];
  });

function welcomeNote(element: ElementObject | undefined): WelcomeNoteData | undefined {
  if (!element) return undefined;
  return {
    contentType: str(element.ContentType) ?? "text/plain",
    encoding: str(element.ContentEncoding) === "BASE64" ? "BASE64" : "None",
    data: str(element.ContentData) ?? "",
  };
}
