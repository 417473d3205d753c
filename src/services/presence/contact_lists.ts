/**
 * Contact lists (ContListFunc) as requests write them and answers show them, shared by GetList,
 * CreateList, DeleteList and ListManage. Lists belong to their owner (`wv:owner/name@domain`) and
 * persist across sessions.
 */
import type { ElementObject, ElementValue } from "../../codec/csp/message.ts";
import type { RequestContext } from "../../session/handler.ts";
import { ProtocolError } from "../../session/status.ts";
import { all, bool, obj, str, strs } from "../../session/values.ts";
import { parseUserId } from "../shared/ids.ts";
import type { Contact, ContactListRecord, PresenceSettings } from "./storage.ts";
import { LIMITS } from "./limits.ts";
import { Outcome } from "./targets.ts";

export interface ListProperties {
  displayName?: string;
  isDefault?: boolean;
}

/** ContactListProperties: DisplayName and Default (T/F); anything else is 752. */
export function readProperties(value: ElementValue | ElementValue[] | undefined): ListProperties {
  const props: ListProperties = {};
  for (const property of all(obj(value)?.Property)) {
    const name = str(obj(property)?.Name);
    const raw = obj(property)?.Value;
    if (name === "DisplayName") {
      const text = str(raw);
      if (text === undefined || text.length > LIMITS.nameChars) {
        throw new ProtocolError(752, "Invalid DisplayName");
      }
      props.displayName = text;
    } else if (name === "Default") {
      const flag = bool(raw);
      if (flag === undefined) throw new ProtocolError(752, "Default must be T or F");
      props.isDefault = flag;
    } else {
      throw new ProtocolError(752, `Unsupported contact list property ${name ?? ""}`);
    }
  }
  return props;
}

export function propertiesElement(
  list: ContactListRecord,
  settings: PresenceSettings,
): ElementObject {
  const property: ElementObject[] = [];
  if (list.displayName !== undefined) {
    property.push({ Name: "DisplayName", Value: list.displayName });
  }
  property.push({ Name: "Default", Value: settings.defaultList === list.id ? "T" : "F" });
  return { Property: property };
}

/** The contacts of a NickList/AddNickList (`NickName{Name, UserID}*` or bare `UserID*`); ids
 * that are not user addresses are reported to `outcome` as 531. */
export function readContacts(
  ctx: RequestContext,
  value: ElementValue | ElementValue[] | undefined,
  outcome: Outcome,
): Contact[] {
  const list = obj(value);
  const contacts = new Map<string, Contact>();
  const add = (raw: string | undefined, nickName?: string) => {
    if (raw === undefined) throw new ProtocolError(400, "NickName without UserID");
    const address = parseUserId(raw, ctx.server.config.domain);
    if (!address) return outcome.failUser(531, raw, "Invalid user ID");
    if (nickName !== undefined && nickName.length > LIMITS.nameChars) {
      throw new ProtocolError(402, "Nickname too long");
    }
    outcome.succeed();
    contacts.set(
      address.id,
      nickName === undefined ? { userId: address.id } : { userId: address.id, nickName },
    );
  };
  for (const nick of all(list?.NickName)) add(str(obj(nick)?.UserID), str(obj(nick)?.Name));
  for (const id of strs(list?.UserID)) add(id);
  return [...contacts.values()];
}

export function nickListElement(contacts: Contact[]): ElementObject {
  return {
    NickName: contacts.map((c) =>
      c.nickName === undefined ? { UserID: c.userId } : { Name: c.nickName, UserID: c.userId }
    ),
  };
}

export function defaultListChange(
  settings: PresenceSettings,
  list: string,
  isDefault: boolean | undefined,
): PresenceSettings | undefined {
  if (isDefault === true && settings.defaultList !== list) {
    return { ...settings, defaultList: list };
  }
  if (isDefault === false && settings.defaultList === list) {
    return { ...settings, defaultList: undefined };
  }
  return undefined;
}
