/**
 * The SSP group transactions (digest §9.3), in the shapes Baraza writes (captures ssp-16..18 and
 * its SSP converter): every request names the group in a `groupID` attribute after a MetaInfo
 * naming the user; answers carry `Status` first; joined users travel as `Name` (screen names).
 * Where Baraza is silent this server decides, and readers ignore what they do not know:
 * `Name userID="…"` carries a UserID where the group shows it, `JoinedModerator` sits beside
 * Baraza's `JoinedAdmin`/`JoinedUser`, a JoinGroupResponse may name the `ScreenName` given, and
 * GroupChangeNotice and LeaveGroupIndication name their recipients as `User` (as Baraza's notice
 * does) so one transaction serves every member of a domain.
 */
import type { XmlElement } from "../xml/tree.ts";
import { child, children, ID_LIMITS, idAttr, node, textOf } from "./message.ts";
import {
  base64Utf8,
  contentData,
  messageInfo,
  metaInfo,
  readMetaInfo,
  readRelayedContent,
  type RelayedContent,
  status,
  statusCode,
  userIds,
  utf8Base64,
} from "./transactions.ts";

/** Group requests a peer may send about a group of ours. */
export const GROUP_REQUESTS = [
  "JoinGroupRequest",
  "LeaveGroupRequest",
  "GetGroupMemberRequest",
  "GetJoinedUsersRequest",
  "GetGroupPropsRequest",
  "SetGroupPropsRequest",
  "SubscribeGroupChangeRequest",
  "UnsubscribeGroupChangeRequest",
  "GetGroupSubStatusRequest",
  "AddGroupMemberRequest",
  "RemoveGroupMemberRequest",
  "MemberAccessRequest",
  "RejectListRequest",
  "DeleteGroupRequest",
  "CreateGroupRequest",
] as const;

export type GroupRequestName = typeof GROUP_REQUESTS[number];

export interface GroupProperty {
  name: string;
  value: string;
}

/** A WelcomeNote as CSP holds it: text (None) or BASE64 data. */
export interface WelcomeNoteData {
  contentType: string;
  encoding: "None" | "BASE64";
  data: string;
}

/** A joined user as a peer sees them: the screen name, and the UserID where it may be shown. */
export interface JoinedName {
  name: string;
  userId?: string;
}

/** What any group request carries: the group, and who asks. */
export interface GroupRequestHead {
  groupId: string;
  user?: string;
}

export interface GroupRequestFields {
  screenName?: string;
  joinedList?: boolean;
  subscribe?: boolean;
  groupProperties?: GroupProperty[];
  welcomeNote?: WelcomeNoteData;
  ownProperties?: GroupProperty[];
  /** AddGroupMemberRequest (`AddUsers`), RemoveGroupMemberRequest (`RemoveUsers`). */
  users?: string[];
  /** MemberAccessRequest: the roles given, as GetGroupMemberResponse lists them. */
  roles?: MemberLists;
  /** RejectListRequest: users put on the reject list (`AddList`) and taken off (`RemoveList`). */
  rejectAdd?: string[];
  rejectRemove?: string[];
  /** CreateGroupRequest: the creator joins at once (`joinGroup`). */
  join?: boolean;
}

/** The element of a request's user list, by request. */
const USERS_ELEMENT: Partial<Record<GroupRequestName, string>> = {
  AddGroupMemberRequest: "AddUsers",
  RemoveGroupMemberRequest: "RemoveUsers",
};

// ---- Requests ---------------------------------------------------------------------------------

/** Any group request: `<name groupID=…>` with MetaInfo and what the primitive adds. */
export function groupRequest(
  name: GroupRequestName,
  domain: string,
  user: string,
  groupId: string,
  fields: GroupRequestFields = {},
): XmlElement {
  const attrs: Record<string, string | undefined> = { groupID: groupId };
  if (name === "JoinGroupRequest") {
    attrs.joinedListRequest = fields.joinedList ? "Yes" : "No";
    attrs.subscribeNotif = fields.subscribe ? "Yes" : "No";
  }
  if (name === "CreateGroupRequest") {
    attrs.joinGroup = fields.join ? "Yes" : "No";
    attrs.subscribeNotif = fields.subscribe ? "Yes" : "No";
  }
  const content: XmlElement[] = [metaInfo(domain, user)];
  if (fields.screenName !== undefined) {
    content.push(node("ScreenName", { groupID: groupId }, [], fields.screenName));
  }
  if (fields.groupProperties || fields.welcomeNote) {
    content.push(propertiesElement("GroupProperties", fields.groupProperties ?? []));
    if (fields.welcomeNote) {
      content[content.length - 1].children.push(welcomeNoteElement(fields.welcomeNote));
    }
  }
  if (fields.ownProperties) content.push(propertiesElement("OwnProperties", fields.ownProperties));
  const usersElement = USERS_ELEMENT[name];
  if (usersElement && fields.users) content.push(userIdList(usersElement, fields.users));
  if (fields.roles) {
    content.push(
      userIdList("Admins", fields.roles.admins),
      userIdList("Moderators", fields.roles.moderators),
      userIdList("OrdinaryUsers", fields.roles.users),
    );
  }
  if (fields.rejectAdd) content.push(userIdList("AddList", fields.rejectAdd));
  if (fields.rejectRemove) content.push(userIdList("RemoveList", fields.rejectRemove));
  return node(name, attrs, content);
}

export function readGroupRequestHead(p: XmlElement): GroupRequestHead | undefined {
  const groupId = idAttr(p, "groupID", ID_LIMITS.group);
  if (!groupId) return undefined;
  return { groupId, user: readMetaInfo(p).userId };
}

export function readGroupRequestFields(p: XmlElement): GroupRequestFields {
  const groupProperties = child(p, "GroupProperties");
  const own = child(p, "OwnProperties");
  const usersElement = child(p, "AddUsers") ?? child(p, "RemoveUsers");
  const roles = ["Admins", "Moderators", "OrdinaryUsers"].some((n) => child(p, n))
    ? readGetGroupMemberResponse(p)
    : undefined;
  const listed = (name: string) => child(p, name) && userIds(child(p, name));
  return {
    screenName: textOf(child(p, "ScreenName")),
    joinedList: yes(p.attrs.joinedListRequest),
    subscribe: yes(p.attrs.subscribeNotif),
    groupProperties: groupProperties && readProperties(groupProperties),
    welcomeNote: readWelcomeNote(child(groupProperties, "WelcomeNote")),
    ownProperties: own && readProperties(own),
    ...(usersElement ? { users: userIds(usersElement) } : {}),
    ...(roles ? { roles } : {}),
    ...(child(p, "AddList") ? { rejectAdd: listed("AddList") } : {}),
    ...(child(p, "RemoveList") ? { rejectRemove: listed("RemoveList") } : {}),
    ...(p.name === "CreateGroupRequest" ? { join: yes(p.attrs.joinGroup) } : {}),
  };
}

// ---- Answers ----------------------------------------------------------------------------------

export interface JoinAnswer {
  joined?: JoinedName[];
  screenName?: string;
  welcomeNote?: WelcomeNoteData;
}

export function joinGroupResponse(groupId: string, a: JoinAnswer): XmlElement {
  return node("JoinGroupResponse", {}, [
    status(200),
    ...(a.joined ? [node("JoinedList", {}, a.joined.map(nameElement))] : []),
    ...(a.screenName !== undefined
      ? [node("ScreenName", { groupID: groupId }, [], a.screenName)]
      : []),
    ...(a.welcomeNote ? [welcomeNoteElement(a.welcomeNote)] : []),
  ]);
}

export function readJoinGroupResponse(p: XmlElement): JoinAnswer {
  const list = child(p, "JoinedList");
  return {
    joined: list && readNames(list),
    screenName: textOf(child(p, "ScreenName")) || undefined,
    welcomeNote: readWelcomeNote(child(p, "WelcomeNote")),
  };
}

export interface MemberLists {
  admins: string[];
  moderators: string[];
  users: string[];
}

const userIdList = (name: string, ids: string[]) =>
  node(name, {}, ids.map((id) => node("UserID", { userID: id })));

export function getGroupMemberResponse(m: MemberLists): XmlElement {
  return node("GetGroupMemberResponse", {}, [
    status(200),
    userIdList("Admins", m.admins),
    userIdList("Moderators", m.moderators),
    userIdList("OrdinaryUsers", m.users),
  ]);
}

export function readGetGroupMemberResponse(p: XmlElement): MemberLists {
  return {
    admins: userIds(child(p, "Admins")),
    moderators: userIds(child(p, "Moderators")),
    users: userIds(child(p, "OrdinaryUsers")),
  };
}

/** Joined users by role (what an Admin or Mod sees), or just `users` for everyone else. */
export interface JoinedLists {
  admins?: JoinedName[];
  moderators?: JoinedName[];
  users: JoinedName[];
}

function mappingList(name: string, names: JoinedName[]): XmlElement {
  const mappings = names.map((n) =>
    node("Mapping", {}, [
      node("SName", {}, [], n.name),
      ...(n.userId ? [node("UserID", { userID: n.userId })] : []),
    ])
  );
  return node(name, {}, [node("UserMapList", {}, [node("UserMapping", {}, mappings)])]);
}

function readMappingList(element: XmlElement | undefined): JoinedName[] | undefined {
  if (!element) return undefined;
  const mapping = child(child(element, "UserMapList"), "UserMapping");
  return children(mapping, "Mapping").flatMap((m) => {
    const name = textOf(child(m, "SName"));
    const id = child(m, "UserID");
    // Baraza writes the attribute as `userid`.
    const userId = (id?.attrs.userID ?? id?.attrs.userid)?.trim();
    return name ? [{ name, ...(userId ? { userId } : {}) }] : [];
  });
}

export function getJoinedUsersResponse(j: JoinedLists): XmlElement {
  return node("GetJoinedUsersResponse", {}, [
    status(200),
    ...(j.admins ? [mappingList("JoinedAdmin", j.admins)] : []),
    ...(j.moderators ? [mappingList("JoinedModerator", j.moderators)] : []),
    mappingList("JoinedUser", j.users),
  ]);
}

export function readGetJoinedUsersResponse(p: XmlElement): JoinedLists {
  return {
    admins: readMappingList(child(p, "JoinedAdmin")),
    moderators: readMappingList(child(p, "JoinedModerator")),
    users: readMappingList(child(p, "JoinedUser")) ?? [],
  };
}

export interface GroupPropsAnswer {
  properties: GroupProperty[];
  welcomeNote?: WelcomeNoteData;
  own: GroupProperty[];
}

export function getGroupPropsResponse(a: GroupPropsAnswer): XmlElement {
  const group = propertiesElement("GroupProperties", a.properties);
  if (a.welcomeNote) group.children.push(welcomeNoteElement(a.welcomeNote));
  return node("GetGroupPropsResponse", {}, [
    status(200),
    group,
    propertiesElement("OwnProperties", a.own),
  ]);
}

export function readGetGroupPropsResponse(p: XmlElement): GroupPropsAnswer {
  const group = child(p, "GroupProperties");
  return {
    properties: group ? readProperties(group) : [],
    welcomeNote: readWelcomeNote(child(group, "WelcomeNote")),
    own: readProperties(child(p, "OwnProperties")),
  };
}

/** RejectListResponse: the reject list as it stands after the request. */
export function rejectListResponse(users: string[]): XmlElement {
  return node("RejectListResponse", {}, [status(200), userIdList("UserList", users)]);
}

export const readRejectListResponse = (p: XmlElement): string[] => userIds(child(p, "UserList"));

export function getGroupSubStatusResponse(groupId: string, subscribed: boolean): XmlElement {
  return node("GetGroupSubStatusResponse", {
    groupID: groupId,
    subscribed: subscribed ? "Yes" : "No",
  }, [status(200)]);
}

export const readSubscribed = (p: XmlElement) => yes(p.attrs.subscribed);

// ---- Notices from the group's server ----------------------------------------------------------

export interface GroupChangeData {
  joined: JoinedName[];
  left: string[];
  properties: GroupProperty[];
}

export interface GroupNotice<T> {
  groupId: string;
  /** The users of the receiving domain it is for. */
  recipients: string[];
  data: T;
}

const recipientsOf = (ids: string[]) => ids.map((id) => node("User", { userID: id }));

export function groupChangeNotice(
  domain: string,
  groupId: string,
  recipients: string[],
  change: GroupChangeData,
): XmlElement {
  return node("GroupChangeNotice", { groupID: groupId }, [
    metaInfo(domain),
    ...recipientsOf(recipients),
    ...(change.joined.length ? [node("Joined", {}, change.joined.map(nameElement))] : []),
    ...(change.left.length
      ? [node("Left", {}, change.left.map((name) => nameElement({ name })))]
      : []),
    ...(change.properties.length ? [propertiesElement("GroupProperties", change.properties)] : []),
  ]);
}

export function readGroupChangeNotice(p: XmlElement): GroupNotice<GroupChangeData> | undefined {
  const groupId = idAttr(p, "groupID", ID_LIMITS.group);
  if (!groupId) return undefined;
  const joined = child(p, "Joined");
  const left = child(p, "Left");
  const properties = child(p, "GroupProperties");
  return {
    groupId,
    recipients: userIds(p),
    data: {
      joined: joined ? readNames(joined) : [],
      left: left ? readNames(left).map((n) => n.name) : [],
      properties: properties ? readProperties(properties) : [],
    },
  };
}

/** The group's server took users out (kicked, banned, group deleted): Status says why. */
export function leaveGroupIndication(
  domain: string,
  groupId: string,
  recipients: string[],
  code: number,
  reason: string,
): XmlElement {
  return node("LeaveGroupIndication", { groupID: groupId }, [
    metaInfo(domain),
    ...recipientsOf(recipients),
    status(code),
    node("ReasonText", {}, [], reason),
  ]);
}

export function readLeaveGroupIndication(
  p: XmlElement,
): GroupNotice<{ code: number; reason?: string }> | undefined {
  const groupId = idAttr(p, "groupID", ID_LIMITS.group);
  if (!groupId) return undefined;
  return {
    groupId,
    recipients: userIds(p),
    data: { code: statusCode(p) ?? 200, reason: textOf(child(p, "ReasonText")) || undefined },
  };
}

// ---- Group messages ---------------------------------------------------------------------------

/**
 * A message to a group. From a member's server to the group's: `sender` is the member's UserID
 * and Recipient names the group (or, privately, one screen name). From the group's server to a
 * member's: Recipient names that domain's receivers as well, and Sender is the group with the
 * sender's screen name (`SenderDisplay`), never a UserID.
 */
export interface RelayedGroupMessage extends RelayedContent {
  groupId: string;
  /** Member's server to group's server: who posts. */
  sender?: string;
  /** Group's server to member's server: the poster's screen name, and the receivers. */
  senderName?: string;
  receivers?: string[];
  /** A private message: the screen name it is for. */
  recipientName?: string;
}

export function groupMessageRequest(domain: string, m: RelayedGroupMessage): XmlElement {
  const target = m.recipientName !== undefined
    ? node("ScreenName", { groupID: m.groupId }, [], m.recipientName)
    : node("GroupID", { groupID: m.groupId });
  if (m.sender !== undefined) {
    return node("SendMessageRequest", { deliveryReport: "No" }, [
      metaInfo(domain, m.sender),
      messageInfo(m, [
        node("Recipient", {}, [target]),
        node("Sender", {}, [node("User", { userID: m.sender })]),
      ]),
      contentData(m),
    ]);
  }
  // A copy for a domain's members. Baraza serves a SendMessageRequest as its requesting user's
  // own send and crashes without one, so the group stands in as that user; a group among the
  // recipients it would send back to the group's server, so the receivers are named alone (a
  // private message's screen name aside) and the group travels in Sender (digest §9.3).
  return node("SendMessageRequest", { deliveryReport: "No" }, [
    metaInfo(domain, m.groupId),
    messageInfo(m, [
      node("Recipient", {}, [
        ...recipientsOf(m.receivers ?? []),
        ...(m.recipientName !== undefined ? [target] : []),
      ]),
      node("Sender", {}, [
        node("GroupID", { groupID: m.groupId }),
        node("SenderDisplay", {}, [
          node("ScreenName", { groupID: m.groupId }, [], m.senderName ?? ""),
        ]),
      ]),
    ]),
    contentData(m),
  ]);
}

/** Whether a SendMessageRequest is addressed to a group (or comes from one). */
export function isGroupMessage(p: XmlElement): boolean {
  const info = child(p, "MessageInfo");
  const recipients = children(info, "Recipient");
  return recipients.some((r) => child(r, "GroupID") || child(r, "ScreenName")) ||
    child(child(info, "Sender"), "GroupID") !== undefined;
}

/** A group message, or why it is unusable (a CSP status code and text). */
export function readGroupMessageRequest(
  p: XmlElement,
): RelayedGroupMessage | { code: number; description: string } {
  const info = child(p, "MessageInfo");
  const messageId = idAttr(info, "messageID", ID_LIMITS.message);
  if (!info || !messageId) {
    return { code: 400, description: "MessageInfo with a messageID is required" };
  }
  const recipients = children(info, "Recipient");
  const screenName = recipients.map((r) => child(r, "ScreenName")).find((s) => s);
  const senderElement = child(info, "Sender");
  const groupId = idAttr(screenName, "groupID", ID_LIMITS.group) ??
    idAttr(recipients.map((r) => child(r, "GroupID")).find((g) => g), "groupID", ID_LIMITS.group) ??
    idAttr(child(senderElement, "GroupID"), "groupID", ID_LIMITS.group);
  if (!groupId) return { code: 400, description: "Recipient names no group" };
  const sender = userIds(senderElement)[0];
  const senderName = textOf(child(child(senderElement, "SenderDisplay"), "ScreenName"));
  if (!sender && !senderName) return { code: 400, description: "Sender missing" };
  const content = readRelayedContent(p, info, messageId);
  if ("code" in content) return content;
  return {
    ...content,
    groupId,
    ...(sender ? { sender } : { senderName }),
    receivers: recipients.flatMap((r) => userIds(r)),
    ...(screenName ? { recipientName: textOf(screenName) } : {}),
  };
}

// ---- Pieces -----------------------------------------------------------------------------------

function nameElement(n: JoinedName): XmlElement {
  return node("Name", { userID: n.userId }, [], n.name);
}

function readNames(element: XmlElement): JoinedName[] {
  return children(element, "Name").flatMap((n) => {
    const name = textOf(n);
    const userId = n.attrs.userID?.trim();
    return name ? [{ name, ...(userId ? { userId } : {}) }] : [];
  });
}

function propertiesElement(name: string, properties: GroupProperty[]): XmlElement {
  return node(
    name,
    {},
    properties.map((p) =>
      node("Property", {}, [node("Name", {}, [], p.name), node("Value", {}, [], p.value)])
    ),
  );
}

function readProperties(element: XmlElement | undefined): GroupProperty[] {
  return children(element, "Property").flatMap((p) => {
    const name = textOf(child(p, "Name"));
    return name ? [{ name, value: textOf(child(p, "Value")) ?? "" }] : [];
  });
}

/** The note's bytes as base64, whatever its CSP encoding. */
function welcomeNoteElement(note: WelcomeNoteData): XmlElement {
  const data = note.encoding === "BASE64" ? note.data.replace(/\s+/g, "") : utf8Base64(note.data);
  return node("WelcomeNote", {}, [
    node("ContentData", { contentType: note.contentType, encoding: "base64" }, [], data),
  ]);
}

/** Text when the bytes are UTF-8, else BASE64 as sent; an empty note (Baraza sends one) is none. */
function readWelcomeNote(element: XmlElement | undefined): WelcomeNoteData | undefined {
  const data = child(element, "ContentData");
  const raw = data?.text.replace(/\s+/g, "") ?? "";
  if (raw === "") return undefined;
  const contentType = data!.attrs.contentType?.trim() || "text/plain";
  if ((data!.attrs.encoding ?? "").toLowerCase() !== "base64") {
    return { contentType, encoding: "None", data: data!.text.trim() };
  }
  const text = base64Utf8(raw);
  return text !== undefined
    ? { contentType, encoding: "None", data: text }
    : { contentType, encoding: "BASE64", data: raw };
}

function yes(value: string | undefined): boolean {
  return /^(yes|t|true)$/i.test(value?.trim() ?? "");
}
