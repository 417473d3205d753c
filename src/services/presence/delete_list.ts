/**
 * DeleteList-Request (ContListFunc DCLI): a contact list goes, and the subscriptions it made.
 */
import type { PrimitiveModule } from "../../session/handler.ts";
import { status } from "../../session/status.ts";
import { str } from "../../session/values.ts";
import { unsubscribe } from "./subscriptions.ts";
import { ownList } from "./targets.ts";
import type { Presence } from "./element.ts";
import { commitAll } from "./commit.ts";
import { contactListChanged } from "./notification.ts";

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
