/**
 * ListManage-Request (ContListFunc/MCLS): adds and removes contacts, changes DisplayName and
 * Default, and returns the list when ReceiveList is T. A list subscribed with AutoSubscribe
 * follows its contacts; 1.3 AuthorizeAndGrant also authorises the contacts added.
 */
import type { ElementObject } from "../../codec/csp/message.ts";
import type { PrimitiveModule } from "../../session/handler.ts";
import type { Mutation } from "../../store/kv.ts";
import { ProtocolError } from "../../session/status.ts";
import { bool, obj, str, strs } from "../../session/values.ts";
import { parseUserId } from "../shared/ids.ts";
import { renotifyWatchers } from "./publish.ts";
import { LIMITS } from "./limits.ts";
import { subscribe, subscriptionRoom, unsubscribe } from "./subscriptions.ts";
import { Outcome, ownList, resolveUser } from "./targets.ts";
import type { Presence } from "./element.ts";
import { commitAll } from "./commit.ts";
import {
  defaultListChange,
  nickListElement,
  propertiesElement,
  readContacts,
  readProperties,
} from "./contact_lists.ts";
import { addedToContactList, contactListChanged } from "./notification.ts";

export function listManageRequest(p: Presence): PrimitiveModule {
  return {
    name: "ListManage-Request",
    function: ["PresenceFeat", "ContListFunc", "MCLS"],
    async handle(ctx, body) {
      const { repo } = p;
      const server = ctx.server;
      const owner = ctx.session!.userId;
      const list = await ownList(ctx, repo, str(body.ContactList));
      const properties = readProperties(body.ContactListProperties);
      const outcome = new Outcome();
      const added = readContacts(ctx, body.AddNickList, outcome);
      const removed = new Set<string>();
      for (const raw of strs(obj(body.RemoveNickList)?.UserID)) {
        const address = parseUserId(raw, server.config.domain);
        if (address) {
          removed.add(address.id);
          outcome.succeed();
        } else outcome.failUser(531, raw, "Invalid user ID");
      }

      const [current, settings] = await Promise.all([
        repo.contacts(owner, list.id),
        repo.settings(owner),
      ]);
      const present = new Set(current.map((c) => c.userId));
      const newcomers = added.filter((c) => !present.has(c.userId));
      if (present.size + newcomers.length - removed.size > LIMITS.contactsPerList) {
        throw new ProtocolError(754);
      }

      const mutations: Mutation[] = [];
      const displayName = properties.displayName ?? list.displayName;
      const updatedList = { ...list, displayName };
      if (displayName !== list.displayName) mutations.push(repo.setList(owner, updatedList));
      const newSettings = defaultListChange(settings, list.id, properties.isDefault);
      if (newSettings) mutations.push(repo.setSettings(owner, newSettings));
      for (const contact of added) mutations.push(...repo.addContact(owner, list.id, contact));
      for (const user of removed) {
        if (!present.has(user)) continue;
        mutations.push(
          ...repo.removeContact(owner, list.id, user),
          ...await unsubscribe(repo, owner, user, [list.id]),
        );
      }

      const granted = new Set<string>();
      if (bool(body.AuthorizeAndGrant) === true) {
        const attributes = list.grant ?? settings.defaultGrant ?? "all";
        for (const contact of added) {
          mutations.push(
            repo.setAuth(owner, contact.userId, { state: "granted", attributes, at: Date.now() }),
          );
          granted.add(contact.userId);
        }
      }
      if (mutations.length > 0) {
        mutations.push(
          ...await contactListChanged(server, ctx.session!, "CLC", list.id),
          ...await addedToContactList(server, owner, newcomers.map((c) => c.userId)),
        );
      }
      // Authorised before subscribing, so that the subscription's first notification sees it.
      await commitAll(server.store, mutations);

      if (granted.size > 0) await renotifyWatchers(p, owner, granted);
      if (list.autoSubscribe) {
        const following: Promise<boolean>[] = [];
        const room = await subscriptionRoom(repo, owner);
        const local = newcomers.filter((c) =>
          resolveUser(c.userId, server.config.domain).kind === "local"
        );
        for (const contact of local) {
          if (!room.admits(contact.userId)) {
            outcome.failUserAfterAll(754, contact.userId, "Too many subscriptions");
            continue;
          }
          following.push(subscribe(p, owner, contact.userId, list.autoSubscribe, [list.id]));
        }
        await Promise.all(following);
      }

      const answer: ElementObject = { Result: outcome.result() };
      if (bool(body.ReceiveList) === true) {
        const contacts = await repo.contacts(owner, list.id);
        answer.NickList = nickListElement(contacts);
        answer.ContactListProperties = propertiesElement(updatedList, newSettings ?? settings);
      }
      return { name: "ListManage-Response", body: answer };
    },
  };
}
