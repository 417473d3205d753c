/**
 * DeleteAttributeList-Request (AttListFunc DALI): an attribute list goes.
 */
import type { PrimitiveModule } from "../../session/handler.ts";
import type { Mutation } from "../../store/kv.ts";
import { Outcome } from "./targets.ts";
import type { Presence } from "./element.ts";
import { attributeListTargets } from "./attribute_lists.ts";
import { commitAll } from "./commit.ts";

export function deleteAttributeListRequest(p: Presence): PrimitiveModule {
  return {
    name: "DeleteAttributeList-Request",
    function: ["PresenceFeat", "AttListFunc", "DALI"],
    async handle(ctx, body) {
      const { repo } = p;
      const owner = ctx.session!.userId;
      const outcome = new Outcome();
      const targets = await attributeListTargets(ctx, repo, body, outcome);
      const auths = await repo.auths(owner);
      const mutations: Mutation[] = [
        ...targets.users.filter((user) => auths.get(user)?.state === "granted")
          .map((user) => repo.deleteAuth(owner, user)),
        ...targets.lists.map((list) => repo.setList(owner, { ...list, grant: undefined })),
      ];
      if (targets.defaultList) {
        mutations.push(
          repo.setSettings(owner, { ...await repo.settings(owner), defaultGrant: undefined }),
        );
      }
      await commitAll(ctx.server.store, mutations);
      return outcome.status();
    },
  };
}
