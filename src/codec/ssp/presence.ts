/**
 * The SSP presence transactions (digest §9.3, shapes as Baraza sends them, captures ssp-10 to
 * ssp-15): SubscribeRequest and UnsubscribeRequest (answered with a bare Status),
 * GetPresenceRequest → GetPresenceResponse, and PresenceNotification (no SSP response). Presence
 * values travel as CSP-style `PresenceSubList` trees inside `PresenceValue userID="…"`; the
 * caller converts them to and from its own attribute model.
 */
import type { XmlElement } from "../xml/tree.ts";
import { child, children, node } from "./message.ts";
import { metaInfo, readMetaInfo, type Requestor, status, userIds } from "./transactions.ts";

/** Attribute names, or "all" (an absent or empty list, or Baraza's "(null)" text). */
export type AttributeNames = "all" | string[];

export interface PresenceRequest {
  requestor: Requestor;
  /** The users whose presence is asked for (raw ids as the peer wrote them). */
  users: string[];
  attributes: AttributeNames;
}

/** One user's presence: the `PresenceSubList` tree, as sent. */
export interface PresenceValue {
  userId: string;
  list: XmlElement;
}

function attributeList(attributes: AttributeNames): XmlElement[] {
  if (attributes === "all") return [];
  return [node("AttributeList", {}, [node("PresenceSubList", {}, attributes.map((n) => node(n)))])];
}

function readAttributeList(p: XmlElement): AttributeNames {
  const names = child(child(p, "AttributeList"), "PresenceSubList")?.children.map((c) => c.name) ??
    [];
  return names.length === 0 ? "all" : [...new Set(names)];
}

export function subscribeRequest(
  domain: string,
  watcher: string,
  users: readonly string[],
  attributes: AttributeNames,
): XmlElement {
  return node("SubscribeRequest", {}, [
    metaInfo(domain, watcher),
    ...users.map((id) => node("UserID", { userID: id })),
    ...attributeList(attributes),
  ]);
}

export function unsubscribeRequest(
  domain: string,
  watcher: string,
  users: readonly string[],
): XmlElement {
  return node("UnsubscribeRequest", {}, [
    metaInfo(domain, watcher),
    ...users.map((id) => node("UserID", { userID: id })),
  ]);
}

export function getPresenceRequest(
  domain: string,
  watcher: string,
  users: readonly string[],
  attributes: AttributeNames,
): XmlElement {
  return node("GetPresenceRequest", {}, [
    metaInfo(domain, watcher),
    ...users.map((id) => node("VerUserID", { userID: id })),
    ...attributeList(attributes),
  ]);
}

/** A Subscribe, Unsubscribe or GetPresence request (GetPresence names users with VerUserID). */
export function readPresenceRequest(p: XmlElement): PresenceRequest {
  const users = [
    ...userIds(p),
    ...children(p, "VerUserID").map((u) => u.attrs.userID?.trim())
      .filter((u): u is string => !!u),
  ];
  return { requestor: readMetaInfo(p), users, attributes: readAttributeList(p) };
}

function presenceValues(values: readonly PresenceValue[]): XmlElement[] {
  return values.map((v) => node("PresenceValue", { userID: v.userId }, [v.list]));
}

export function getPresenceResponse(values: readonly PresenceValue[]): XmlElement {
  return node("GetPresenceResponse", {}, [status(200), ...presenceValues(values)]);
}

/** `recipients` are the watchers (of the receiving domain) the presence is for. */
export function presenceNotification(
  domain: string,
  recipients: readonly string[],
  values: readonly PresenceValue[],
): XmlElement {
  return node("PresenceNotification", {}, [
    metaInfo(domain),
    ...recipients.map((id) => node("User", { userID: id })),
    ...presenceValues(values),
  ]);
}

/** The PresenceValues of a GetPresenceResponse or PresenceNotification (an empty list for a
 * value without PresenceSubList: nothing to show). */
export function readPresenceValues(p: XmlElement): PresenceValue[] {
  return children(p, "PresenceValue").flatMap((v) => {
    const userId = v.attrs.userID?.trim();
    if (!userId) return [];
    return [{ userId, list: child(v, "PresenceSubList") ?? node("PresenceSubList") }];
  });
}

/** The recipients of a PresenceNotification. */
export const notificationRecipients = (p: XmlElement): string[] => userIds(p);
