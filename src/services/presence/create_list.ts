/**
 * CreateList-Request (ContListFunc CCLI): a new contact list, with its contacts and properties.
 */
import type { PrimitiveModule } from "../../session/handler.ts";
import { ProtocolError } from "../../session/status.ts";
import { str } from "../../session/values.ts";
import type { ContactListRecord } from "./storage.ts";
import { LIMITS } from "./limits.ts";
import { Outcome, ownListAddress } from "./targets.ts";
import type { Presence } from "./element.ts";
import { commitAll } from "./commit.ts";
import {
  defaultListChange,
  propertiesElement,
  readContacts,
  readProperties,
} from "./contact_lists.ts";
import { addedToContactList, contactListChanged } from "./notification.ts";

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
