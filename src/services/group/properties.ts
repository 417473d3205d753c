/**
 * Group properties and own properties (digest §2.6): what each name means, who may change it,
 * and how values are checked. Names match case-insensitively (clients write both `Accesstype`,
 * as the 1.1 spec example does, and `AccessType`, as Baraza's client does) and are answered in
 * the spec example's spelling.
 */
import type { ElementObject } from "../../codec/csp/message.ts";
import { ProtocolError } from "../../session/status.ts";
import { all, obj, str } from "../../session/values.ts";
import { MAX_ACTIVE_USERS, MAX_TEXT_PROPERTY, MAX_WELCOME_NOTE } from "./limits.ts";
import { utf8Length } from "../../util/utf8.ts";

export type Role = "Admin" | "Mod" | "User";

type ValueSpec =
  | { kind: "text" }
  | { kind: "bool" }
  | { kind: "count"; max: number }
  | { kind: "choice"; values: readonly string[] };

interface PropertySpec {
  value: ValueSpec;
  /** The least role that may change it; absent: computed by the server, never set. */
  changedBy?: Role;
}

const BOOL: ValueSpec = { kind: "bool" };

/** In the order GetGroupProps lists them. */
const GROUP_PROPERTIES: Record<string, PropertySpec> = {
  Name: { value: { kind: "text" }, changedBy: "Admin" },
  Topic: { value: { kind: "text" }, changedBy: "Mod" },
  Accesstype: { value: { kind: "choice", values: ["Open", "Restricted"] }, changedBy: "Admin" },
  Type: { value: { kind: "choice", values: ["Public", "Private"] }, changedBy: "Admin" },
  PrivateMessaging: { value: BOOL, changedBy: "Admin" },
  Searchable: { value: BOOL, changedBy: "Admin" },
  MaxActiveUsers: { value: { kind: "count", max: MAX_ACTIVE_USERS }, changedBy: "Admin" },
  ActiveUsers: { value: { kind: "count", max: MAX_ACTIVE_USERS } },
  AutoDelete: { value: BOOL, changedBy: "Admin" },
  ShowID: { value: BOOL, changedBy: "Admin" },
  // No message history is kept: only F is accepted (821 for T).
  History: { value: BOOL, changedBy: "Admin" },
};

const OWN_PROPERTIES: Record<string, PropertySpec> = {
  PrivilegeLevel: { value: { kind: "choice", values: ["Admin", "Mod", "User"] } },
  IsMember: { value: BOOL },
  AutoJoin: { value: BOOL, changedBy: "User" },
  PrivateMessaging: { value: BOOL, changedBy: "User" },
};

export type PropertyValues = Record<string, string>;

/** What a group starts with; the creator's properties override these. */
export const DEFAULT_GROUP_PROPERTIES: PropertyValues = {
  Accesstype: "Open",
  Type: "Public",
  PrivateMessaging: "F",
  Searchable: "T",
  MaxActiveUsers: String(MAX_ACTIVE_USERS),
  AutoDelete: "F",
  ShowID: "F",
  History: "F",
};

export const DEFAULT_OWN_PROPERTIES: PropertyValues = { AutoJoin: "F", PrivateMessaging: "T" };

const RANK: Record<Role, number> = { User: 0, Mod: 1, Admin: 2 };

/** Whether `role` is at least `least`. */
export const atLeast = (role: Role | undefined, least: Role) =>
  role !== undefined && RANK[role] >= RANK[least];

function canonicalName(specs: Record<string, PropertySpec>, raw: string): string | undefined {
  const lower = raw.trim().toLowerCase();
  return Object.keys(specs).find((name) => name.toLowerCase() === lower);
}

/** Control characters have no place in names and titles (XML 1.0 forbids most anyway). */
export const hasControlCharacters = (text: string) =>
  [...text].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);

function checkValue(name: string, spec: ValueSpec, raw: string): string {
  const value = raw.trim();
  switch (spec.kind) {
    case "text":
      if ([...value].length > MAX_TEXT_PROPERTY || hasControlCharacters(value)) {
        throw new ProtocolError(806, `${name} must be at most ${MAX_TEXT_PROPERTY} characters`);
      }
      return value;
    case "bool":
      if (value !== "T" && value !== "F") throw new ProtocolError(806, `${name} is T or F`);
      return value;
    case "count": {
      const n = /^\d{1,10}$/.test(value) ? Number(value) : NaN;
      if (!(n >= 1 && n <= spec.max)) {
        throw new ProtocolError(806, `${name} must be between 1 and ${spec.max}`);
      }
      return String(n);
    }
    case "choice": {
      const found = spec.values.find((v) => v.toLowerCase() === value.toLowerCase());
      if (!found) throw new ProtocolError(806, `${name} is one of ${spec.values.join(", ")}`);
      return found;
    }
  }
}

/**
 * Reads `Property{Name, Value}*` into canonical names and checked values, for a caller of
 * `role` (undefined: the group is being created, every settable property is open). Unknown
 * names and values get 806, properties above the caller's role 816.
 */
function readProperties(
  element: ElementObject | undefined,
  specs: Record<string, PropertySpec>,
  role: Role | undefined,
): PropertyValues {
  const values: PropertyValues = {};
  for (const item of all(element?.Property)) {
    const property = obj(item);
    const rawName = str(property?.Name);
    const rawValue = str(property?.Value) ?? "";
    if (rawName === undefined) throw new ProtocolError(400, "Property without Name");
    const name = canonicalName(specs, rawName);
    if (name === undefined) {
      throw new ProtocolError(806, `Unsupported property ${rawName.slice(0, 32)}`);
    }
    const spec = specs[name];
    if (!spec.changedBy) throw new ProtocolError(806, `${name} is set by the server`);
    if (role !== undefined && !atLeast(role, spec.changedBy)) {
      throw new ProtocolError(816, `Changing ${name} needs the ${spec.changedBy} role`);
    }
    values[name] = checkValue(name, spec.value, rawValue);
  }
  if (values.History === "T") throw new ProtocolError(821, "Group history is not supported");
  return values;
}

export const readGroupProperties = (element: ElementObject | undefined, role?: Role) =>
  readProperties(element, GROUP_PROPERTIES, role);

export const readOwnProperties = (element: ElementObject | undefined) =>
  readProperties(element, OWN_PROPERTIES, undefined);

/** A searchable group needs something to be found by (822). */
export function checkSearchable(properties: PropertyValues, explicit: PropertyValues): void {
  if (explicit.Searchable === "T" && !properties.Name && !properties.Topic) {
    throw new ProtocolError(822, "A searchable group needs a Name or a Topic");
  }
}

/** `Property*` in the order of the table, for the names present. */
export function propertyElements(
  values: PropertyValues,
  own = false,
): ElementObject[] {
  const order = Object.keys(own ? OWN_PROPERTIES : GROUP_PROPERTIES);
  return order.filter((name) => values[name] !== undefined)
    .map((name) => ({ Name: name, Value: values[name] }));
}

export interface WelcomeNote {
  contentType: string;
  encoding: "None" | "BASE64";
  data: string;
}

const CONTENT_TYPE = /^[\w.+-]+\/[\w.+-]+(?:\s*;\s*[\w.+-]+=[\w.+"-]+)*$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function readWelcomeNote(element: ElementObject | undefined): WelcomeNote | undefined {
  if (!element) return undefined;
  const contentType = (str(element.ContentType) ?? "text/plain").trim();
  if (!CONTENT_TYPE.test(contentType) || contentType.length > 128) {
    throw new ProtocolError(415, "Unsupported WelcomeNote ContentType");
  }
  const encodingText = (str(element.ContentEncoding) ?? "None").trim().toLowerCase();
  if (encodingText !== "none" && encodingText !== "base64") {
    throw new ProtocolError(415, "Unsupported WelcomeNote ContentEncoding");
  }
  const data = typeof element.ContentData === "string" ? element.ContentData : "";
  if (utf8Length(data) > MAX_WELCOME_NOTE) {
    throw new ProtocolError(402, `WelcomeNote is larger than ${MAX_WELCOME_NOTE} bytes`);
  }
  const encoding = encodingText === "base64" ? "BASE64" : "None";
  if (encoding === "BASE64" && !BASE64.test(data.replace(/\s+/g, ""))) {
    throw new ProtocolError(402, "WelcomeNote ContentData is not valid BASE64");
  }
  return { contentType, encoding, data };
}

export function welcomeNoteElement(note: WelcomeNote): ElementObject {
  return {
    ContentType: note.contentType,
    ContentEncoding: note.encoding,
    ContentData: note.data,
  };
}
