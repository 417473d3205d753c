/**
 * The SSP invitation transactions (digest §9.3, in the shape Baraza writes them): InviteRequest
 * and CancelInviteRequest, one per invitee (`Inviting`/`Invited`, `Canceling`/`Canceled`), and
 * the invitee's InviteResponse (`Inviting`/`Responding`, `acceptance="Yes|No"`). Each is answered
 * with a bare Status.
 */
import type { XmlElement } from "../xml/tree.ts";
import { child, children, ID_LIMITS, idAttr, node, TEXT_LIMITS, textOf } from "./message.ts";
import { metaInfo, readMetaInfo, userIds } from "./transactions.ts";

export interface RelayedInvitation {
  inviteId: string;
  /** GR, IM, PR or SC (CSP InviteType). */
  type: string;
  inviter: string;
  invitees: string[];
  /** Seconds left. */
  validity: number;
  groupId?: string;
  /** Presence attribute names of a presence invitation. */
  attributes?: string[];
  urls?: string[];
  note?: string;
  screenName?: { name: string; groupId: string };
}

export interface RelayedAnswer {
  inviteId: string;
  inviter: string;
  invitee: string;
  acceptance: boolean;
  note?: string;
  screenName?: { name: string; groupId: string };
}

export interface RelayedCancellation {
  inviteId: string;
  inviter: string;
  invitees: string[];
  note?: string;
}

const users = (name: string, ids: readonly string[]) =>
  node(name, {}, ids.map((id) => node("User", { userID: id })));

const screenNameElement = (s: { name: string; groupId: string }) =>
  node("ScreenName", { groupID: s.groupId }, [], s.name);

function readScreenName(p: XmlElement): { name: string; groupId: string } | undefined {
  const element = child(p, "ScreenName");
  const name = textOf(element);
  const groupId = idAttr(element, "groupID", ID_LIMITS.group);
  return name && groupId ? { name, groupId } : undefined;
}

export function inviteRequest(domain: string, i: RelayedInvitation): XmlElement {
  return node(
    "InviteRequest",
    { inviteID: i.inviteId, inviteType: i.type, validity: String(i.validity) },
    [
      metaInfo(domain, i.inviter),
      users("Inviting", [i.inviter]),
      users("Invited", i.invitees),
      ...(i.groupId ? [node("GroupID", { groupID: i.groupId })] : []),
      ...(i.attributes
        ? [node("AttributeList", {}, [
          node("PresenceSubList", {}, i.attributes.map((name) => node(name))),
        ])]
        : []),
      ...(i.urls
        ? [node("ContentIDList", {}, i.urls.map((url) => node("ContentID", { url })))]
        : []),
      ...(i.note !== undefined ? [node("InviteNote", {}, [], i.note)] : []),
      ...(i.screenName ? [screenNameElement(i.screenName)] : []),
    ],
  );
}

/** The invitation, or undefined when it lacks an id, a type, the inviter or an invitee. */
export function readInviteRequest(p: XmlElement): RelayedInvitation | undefined {
  const inviteId = idAttr(p, "inviteID", ID_LIMITS.invite);
  const type = p.attrs.inviteType?.trim();
  const inviter = userIds(child(p, "Inviting"))[0] ?? readMetaInfo(p).userId;
  const invitees = userIds(child(p, "Invited"));
  if (!inviteId || !type || !inviter || invitees.length === 0) return undefined;
  const validity = Number(p.attrs.validity?.trim());
  const attributes = child(child(p, "AttributeList"), "PresenceSubList")?.children
    .map((c) => c.name);
  const urls = children(child(p, "ContentIDList"), "ContentID")
    .map((c) => c.attrs.url?.trim()).filter((u): u is string => !!u);
  const note = textOf(child(p, "InviteNote"));
  const screenName = readScreenName(p);
  if (
    type.length > TEXT_LIMITS.type || urls.length > TEXT_LIMITS.urls ||
    urls.some((u) => u.length > TEXT_LIMITS.url) || (note?.length ?? 0) > TEXT_LIMITS.note ||
    (screenName?.name.length ?? 0) > TEXT_LIMITS.name ||
    [inviter, ...invitees].some((u) => u.length > TEXT_LIMITS.userId) ||
    (attributes?.length ?? 0) > TEXT_LIMITS.attributes
  ) return undefined;
  return {
    inviteId,
    type,
    inviter,
    invitees,
    validity: Number.isInteger(validity) && validity > 0 ? validity : 0,
    groupId: idAttr(child(p, "GroupID"), "groupID", ID_LIMITS.group),
    attributes: attributes?.length ? attributes : undefined,
    urls: urls.length ? urls : undefined,
    note,
    screenName,
  };
}

export function inviteResponse(domain: string, a: RelayedAnswer): XmlElement {
  return node("InviteResponse", {
    inviteID: a.inviteId,
    acceptance: a.acceptance ? "Yes" : "No",
  }, [
    metaInfo(domain, a.invitee),
    users("Inviting", [a.inviter]),
    users("Responding", [a.invitee]),
    ...(a.note !== undefined ? [node("ResponseNote", {}, [], a.note)] : []),
    ...(a.screenName ? [screenNameElement(a.screenName)] : []),
  ]);
}

export function readInviteResponse(p: XmlElement): RelayedAnswer | undefined {
  const inviteId = idAttr(p, "inviteID", ID_LIMITS.invite);
  const acceptance = p.attrs.acceptance?.trim().toLowerCase();
  const inviter = userIds(child(p, "Inviting"))[0];
  const invitee = userIds(child(p, "Responding"))[0] ?? readMetaInfo(p).userId;
  if (!inviteId || !inviter || !invitee || !/^(yes|no|t|f|true|false)$/.test(acceptance ?? "")) {
    return undefined;
  }
  return {
    inviteId,
    inviter,
    invitee,
    acceptance: /^(yes|t|true)$/.test(acceptance!),
    note: textOf(child(p, "ResponseNote")),
    screenName: readScreenName(p),
  };
}

export function cancelInviteRequest(domain: string, c: RelayedCancellation): XmlElement {
  return node("CancelInviteRequest", { inviteID: c.inviteId }, [
    metaInfo(domain, c.inviter),
    users("Canceling", [c.inviter]),
    users("Canceled", c.invitees),
    ...(c.note !== undefined ? [node("CancelNote", {}, [], c.note)] : []),
  ]);
}

export function readCancelInviteRequest(p: XmlElement): RelayedCancellation | undefined {
  const inviteId = idAttr(p, "inviteID", ID_LIMITS.invite);
  const inviter = userIds(child(p, "Canceling"))[0] ?? readMetaInfo(p).userId;
  const invitees = userIds(child(p, "Canceled"));
  if (!inviteId || !inviter || invitees.length === 0) return undefined;
  return { inviteId, inviter, invitees, note: textOf(child(p, "CancelNote")) };
}
