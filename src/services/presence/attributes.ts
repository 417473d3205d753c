/**
 * Presence attributes (digest §7): which ones a request names, checking the values a client
 * publishes, and cutting a stored presence down to what a watcher may see. Values are kept as the
 * codec decoded them, keyed by attribute name; attributes this server does not know are kept and
 * returned like the others.
 */
import type { ElementObject, ElementValue } from "../../codec/csp/message.ts";
import { elementModel } from "../../codec/csp/schema.ts";
import { ProtocolError } from "../../session/status.ts";
import { obj } from "../../session/values.ts";
import { ATTRIBUTE_NAME } from "./ids.ts";
import { LIMITS } from "./limits.ts";

export type AttributeValue = ElementValue | ElementValue[];
/** A user's presence: attribute name → decoded value (an array for per-client attributes). */
export type PresenceAttributes = Record<string, AttributeValue>;

/** Which attributes: every one, or those named. */
export type AttributeSelection = "all" | readonly string[];

const PRESENCE_SUB_LIST = elementModel("PresenceSubList")!;

/** Values the digest lists for the attributes whose value is a closed set. PresenceValue is
 * text in the schema, so the booleans stay "T"/"F". */
const CLOSED_VALUES: Record<string, readonly string[]> = {
  OnlineStatus: ["T", "F"],
  Registration: ["T", "F"],
  UserAvailability: ["AVAILABLE", "NOT_AVAILABLE", "DISCREET"],
};

const attributeNames = (list: ElementObject): string[] =>
  Object.keys(list).filter((k) => !k.startsWith("@") && !k.startsWith("#"));

/**
 * The attribute names a request's PresenceSubList asks for (empty elements); absent or empty
 * means all of them (digest §7).
 */
export function requestedAttributes(
  list: ElementValue | ElementValue[] | undefined,
): AttributeSelection {
  const sub = obj(list);
  if (!sub) return "all";
  const names = attributeNames(sub);
  for (const name of names) {
    if (!ATTRIBUTE_NAME.test(name)) throw new ProtocolError(750, `Invalid attribute ${name}`);
  }
  return names.length === 0 ? "all" : names;
}

/**
 * The names an attribute list grants: taken literally, so an empty PresenceSubList grants
 * nothing. Absent is a bad request (CreateAttributeList needs it).
 */
export function grantedAttributes(list: ElementValue | ElementValue[] | undefined): string[] {
  const sub = obj(list);
  if (!sub) throw new ProtocolError(400, "PresenceSubList missing");
  const names = attributeNames(sub);
  for (const name of names) {
    if (!ATTRIBUTE_NAME.test(name)) throw new ProtocolError(750, `Invalid attribute ${name}`);
  }
  return names;
}

/** Checks what UpdatePresence publishes: 750 for a malformed attribute, 751 for a bad value. */
export function publishedAttributes(
  list: ElementValue | ElementValue[] | undefined,
): PresenceAttributes {
  const sub = obj(list);
  if (!sub) throw new ProtocolError(400, "PresenceSubList missing");
  const out: PresenceAttributes = {};
  for (const name of attributeNames(sub)) {
    if (!ATTRIBUTE_NAME.test(name)) throw new ProtocolError(750, `Invalid attribute ${name}`);
    const value = sub[name]!;
    const spec = PRESENCE_SUB_LIST.childByName.get(name);
    if (spec) {
      const instances = Array.isArray(value) ? value : [value];
      if (instances.length > 1 && !spec.repeat) {
        throw new ProtocolError(750, `${name} may appear only once`);
      }
      for (const instance of instances) checkKnownAttribute(name, instance);
    }
    out[name] = value;
  }
  return out;
}

function checkKnownAttribute(name: string, value: ElementValue): void {
  // A structured attribute written as bare text decodes as an object with only `#text`.
  if (typeof value !== "object" || value["#text"] !== undefined) {
    throw new ProtocolError(750, `${name} has no structure`);
  }
  if (value.Qualifier !== undefined && typeof value.Qualifier !== "boolean") {
    throw new ProtocolError(751, `${name}/Qualifier must be T or F`);
  }
  const allowed = CLOSED_VALUES[name];
  const presenceValue = value.PresenceValue;
  if (allowed && presenceValue !== undefined) {
    if (!allowed.includes(presenceValue as string)) {
      throw new ProtocolError(751, `Invalid ${name} value`);
    }
  }
  if (presenceValue !== undefined && typeof presenceValue === "object") {
    throw new ProtocolError(751, `${name}/PresenceValue must be a value`);
  }
}

/**
 * Merges an update into the stored presence. An attribute replaces the previous one whole, but
 * for the per-client attributes (those the PA schema lets repeat: OnlineStatus, Registration,
 * ClientInfo, TimeZone, GeoLocation, Address, FreeTextLocation, PLMN, CommCap) an instance
 * replaces only the stored instance of the same ClientID (instances without one count as one
 * client), so each client of the user keeps its own.
 */
export function mergePresence(
  current: PresenceAttributes,
  update: PresenceAttributes,
): PresenceAttributes {
  const merged = { ...current };
  for (const [name, value] of Object.entries(update)) {
    const perClient = PRESENCE_SUB_LIST.childByName.get(name)?.repeat === true;
    merged[name] = perClient && current[name] !== undefined
      ? mergeClients(current[name], value)
      : value;
  }
  if (JSON.stringify(merged).length > LIMITS.presenceChars) {
    throw new ProtocolError(751, "Presence too large");
  }
  return merged;
}

function mergeClients(current: AttributeValue, update: AttributeValue): ElementValue[] {
  const incoming = [update].flat();
  const updated = new Set(incoming.map(clientOf));
  return [...[current].flat().filter((instance) => !updated.has(clientOf(instance))), ...incoming];
}

/** Which client an attribute instance speaks for: its ClientID, compared as JSON. */
function clientOf(instance: ElementValue): string {
  return clientKey(obj(instance)?.ClientID);
}

/** A ClientID as comparable text: the same whatever the order of its parts. */
export function clientKey(clientId: ElementValue | ElementValue[] | undefined): string {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(canonical) : v !== null && typeof v === "object"
      ? Object.fromEntries(
        Object.entries(v).filter(([k]) => !k.startsWith("@")).sort(([a], [b]) =>
          a < b ? -1 : a > b ? 1 : 0
        ).map(([k, x]) => [k, canonical(x)]),
      )
      : v;
  return JSON.stringify(canonical(clientId ?? null));
}

/** An attribute that no client describes any more: present, with its value not valid
 * (Qualifier F), so that a watcher's client drops what it showed. */
const NO_CLIENT_LEFT: ElementObject = { Qualifier: false };

/**
 * The presence without what clients said about themselves: the instances of the per-client
 * attributes whose ClientID is `clientId` (one client gone), or every instance (`"all"`: no
 * client left). An attribute left without instances becomes `{ Qualifier: F }`.
 */
export function withoutClient(
  presence: PresenceAttributes,
  clientId: ElementValue | undefined | "all",
): PresenceAttributes {
  const gone = clientId === "all" ? undefined : clientKey(clientId);
  const out: PresenceAttributes = { ...presence };
  for (const [name, value] of Object.entries(presence)) {
    if (PRESENCE_SUB_LIST.childByName.get(name)?.repeat !== true) continue;
    const instances = [value].flat();
    const kept = gone === undefined ? [] : instances.filter((i) => clientOf(i) !== gone);
    if (kept.length === instances.length) continue;
    out[name] = kept.length === 0 ? NO_CLIENT_LEFT : kept.length === 1 ? kept[0] : kept;
  }
  return out;
}

/** Names of the attributes whose values differ between two presences. */
export function changedAttributes(a: PresenceAttributes, b: PresenceAttributes): string[] {
  const names = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...names].filter((n) => JSON.stringify(a[n]) !== JSON.stringify(b[n]));
}

/** The attributes both selections allow. */
export function intersect(a: AttributeSelection, b: AttributeSelection): AttributeSelection {
  if (a === "all") return b;
  if (b === "all") return a;
  const inB = new Set(b);
  return a.filter((name) => inB.has(name));
}

export function selects(selection: AttributeSelection, name: string): boolean {
  return selection === "all" || selection.includes(name);
}

/** The part of a presence a selection lets through. */
export function visiblePart(
  presence: PresenceAttributes,
  selection: AttributeSelection,
): PresenceAttributes {
  if (selection === "all") return presence;
  const out: PresenceAttributes = {};
  for (const name of selection) if (Object.hasOwn(presence, name)) out[name] = presence[name];
  return out;
}

/** A PresenceSubList naming attributes (the request form), for answers like GetAttributeList;
 * "all" names every attribute of digest §7. */
export function attributeNameList(selection: AttributeSelection): ElementObject {
  const names = selection === "all" ? PRESENCE_SUB_LIST.children.map((c) => c.name) : selection;
  const list: ElementObject = {};
  for (const name of names) list[name] = {};
  return list;
}
