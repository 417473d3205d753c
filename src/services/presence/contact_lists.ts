/**
 * Contact lists (ContListFunc): GetList, CreateList, DeleteList. Lists belong to their owner
 * (`wv:owner/name@domain`) and persist across sessions.
 */
import type { ElementObject, ElementValue } from "../../codec/csp/message.ts";
import type { PrimitiveModule, RequestContext } from "../../session/handler.ts";
import { ProtocolError, status } from "../../session/status.ts";
import { all, bool, obj, str, strs } from "../../session/values.ts";
import { parseUserId } from "../shared/ids.ts";
import type { Contact, ContactListRecord, PresenceSettings } from "./repo.ts";
import { LIMITS } from "./limits.ts";
import { unsubscribe } from "./subscriptions.ts";
import { commitAll } from "./notify.ts";
import { addedToContactList, contactListChanged } from "./notifications.ts";
import { Outcome, ownList, ownListAddress } from "./targets.ts";
import type { Presence } from "./element.ts";

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

export function getListRequest(p: Presence): PrimitiveModule {
  return {
    name: "GetList-Request",
    function: ["PresenceFeat", "ContListFunc", "GCLI"],
    async handle(ctx) {
      const { repo } = p;
      const owner = ctx.session!.userId;
      const [lists, settings] = await Promise.all([repo.lists(owner), repo.settings(owner)]);
      const ids = lists.map((l) => l.id);
      const body: ElementObject = ctx.version === "1.3"
        ? { ContactListIDList: { ContactList: ids } }
        : { ContactList: ids };
      if (settings.defaultList) body.DefaultContactList = settings.defaultList;
      return { name: "GetList-Response", body };
    },
  };
}

export function createListRequest(p: Presence): PrimitiveModule {
  return {
    name: "CreateList-Request",
    function: ["PresenceFeat", "ContListFunc", "CCLI"],
    async handle(ctx, body) {
      const { repo } = p;
      const owner = ctx.session!.userId;
      const address = ownListAddress(ctx, str(body.ContactList));
      const properties = readProperties(body.ContactListProperties);
      const outcome = new Outcome();
      const contacts = readContacts(ctx, body.NickList, outcome);
      if (contacts.length > LIMITS.contactsPerList) throw new ProtocolError(754);
      const [existing, lists, settings] = await Promise.all([
        repo.list(owner, address.id),
        repo.lists(owner),
        repo.settings(owner),
      ]);
      if (existing) throw new ProtocolError(701, `${address.id} already exists`);
      if (lists.length >= LIMITS.contactLists) throw new ProtocolError(753);

      const record: ContactListRecord = {
        id: address.id,
        displayName: properties.displayName,
        createdAt: Date.now(),
      };
      const newSettings = defaultListChange(settings, address.id, properties.isDefault);
      await commitAll(ctx.server.store, [
        repo.setList(owner, record),
        ...contacts.flatMap((c) => repo.addContact(owner, address.id, c)),
        ...newSettings ? [repo.setSettings(owner, newSettings)] : [],
        ...await contactListChanged(ctx.server, ctx.session!, "CLCR", address.id),
        ...await addedToContactList(ctx.server, owner, contacts.map((c) => c.userId)),
      ]);
      const result = outcome.result();
      if (ctx.version !== "1.3" || result.Code !== 200) return outcome.status();
      return {
        name: "CreateList-Response",
        body: {
          ContactList: address.id,
          ContactListProperties: propertiesElement(record, newSettings ?? settings),
        },
      };
    },
  };
}

export function deleteListRequest(p: Presence): PrimitiveModule {
  return {
    name: "DeleteList-Request",
    function: ["PresenceFeat", "ContListFunc", "DCLI"],
    async handle(ctx, body) {
      const { repo } = p;
      const owner = ctx.session!.userId;
      const list = await ownList(ctx, repo, str(body.ContactList));
      const [contacts, settings] = await Promise.all([
        repo.contacts(owner, list.id),
        repo.settings(owner),
      ]);
      const subscriptions = await Promise.all(
        contacts.map((c) => unsubscribe(repo, owner, c.userId, [list.id])),
      );
      await commitAll(ctx.server.store, [
        repo.deleteList(owner, list.id),
        ...contacts.flatMap((c) => repo.removeContact(owner, list.id, c.userId)),
        ...subscriptions.flat(),
        ...settings.defaultList === list.id
          ? [repo.setSettings(owner, { ...settings, defaultList: undefined })]
          : [],
        ...await contactListChanged(ctx.server, ctx.session!, "CLD", list.id),
      ]);
      return status(200);
    },
  };
}
