/**
 * GetList-Request (ContListFunc GCLI): the caller's contact lists and their defaults.
 */
import type { ElementObject } from "../../codec/csp/message.ts";
import type { PrimitiveModule } from "../../session/handler.ts";
import type { Presence } from "./element.ts";

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
