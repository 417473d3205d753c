/**
 * CreateAttributeList-Request (AttListFunc CALI): what the owner shows to users, to the contacts
 * of lists, or by default.
 */
import type { PrimitiveModule } from "../../session/handler.ts";
import type { Mutation } from "../../store/kv.ts";
import { ProtocolError } from "../../session/status.ts";
import { grantedAttributes } from "./attributes.ts";
import { renotifyWatchers } from "./publish.ts";
import { Outcome } from "./targets.ts";
import type { Presence } from "./element.ts";
import { attributeListTargets, tellAuthorised } from "./attribute_lists.ts";
import { commitAll } from "./commit.ts";

export function createAttributeListRequest(p: Presence): PrimitiveModule {
  return {
    name: "CreateAttributeList-Request",
    function: ["PresenceFeat", "AttListFunc", "CALI"],
    async handle(ctx, body) {
      const { repo } = p;
      const owner = ctx.session!.userId;
      const names = grantedAttributes(body.PresenceSubList);
      const outcome = new Outcome();
      const targets = await attributeListTargets(ctx, repo, body, outcome);
      const at = Date.now();
      const mutations: Mutation[] = [
        ...targets.users.map((user) =>
          repo.setAuth(owner, user, { state: "granted", attributes: names, at })
        ),
        ...targets.lists.map((list) => repo.setList(owner, { ...list, grant: names })),
      ];
      if (targets.defaultList) {
        mutations.push(
          repo.setSettings(owner, { ...await repo.settings(owner), defaultGrant: names }),
        );
      }
      if (mutations.length === 0 && outcome.result().Code === 200) {
        throw new ProtocolError(400, "No UserID, ContactList or DefaultList");
      }
      await commitAll(ctx.server.store, mutations);
      // Watchers who may now see more (a waiting subscription, say) get the presence at once.
      await renotifyWatchers(p, owner);
      await commitAll(ctx.server.store, await tellAuthorised(ctx, repo, body, targets, names));
      return outcome.status();
    },
  };
}
