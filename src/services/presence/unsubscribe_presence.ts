/**
 * UnsubscribePresence-Request (PresenceDeliverFunc): for users and for whole contact lists.
 */
import type { PrimitiveModule } from "../../session/handler.ts";
import type { Mutation } from "../../store/kv.ts";
import { unsubscribe } from "./subscriptions.ts";
import { Outcome } from "./targets.ts";
import type { Presence } from "./element.ts";
import { commitAll } from "./commit.ts";
import { reasonsByUser } from "./each_target.ts";

export function unsubscribePresenceRequest(p: Presence): PrimitiveModule {
  return {
    name: "UnsubscribePresence-Request",
    function: ["PresenceFeat", "PresenceDeliverFunc", "GETPR"],
    async handle(ctx, body) {
      const { repo } = p;
      const watcher = ctx.session!.userId;
      const outcome = new Outcome();
      const mutations: Mutation[] = [];
      const reasons = await reasonsByUser(
        p,
        ctx,
        body,
        "unsubscribe",
        "all",
        outcome,
        async (listId) => {
          const list = (await repo.list(watcher, listId))!;
          mutations.push(repo.setList(watcher, { ...list, autoSubscribe: undefined }));
        },
      );
      for (const [user, why] of reasons) {
        mutations.push(...await unsubscribe(repo, watcher, user, why));
      }
      await commitAll(ctx.server.store, mutations);
      return outcome.status();
    },
  };
}
