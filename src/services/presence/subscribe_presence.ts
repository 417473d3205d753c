/**
 * SubscribePresence-Request (PresenceDeliverFunc): for users and for whole contact lists. A list
 * subscribed with AutoSubscribe T keeps following its contacts (ListManage adds and removes
 * subscriptions); without it, only the contacts present now are subscribed.
 */
import type { PrimitiveModule } from "../../session/handler.ts";
import type { Mutation } from "../../store/kv.ts";
import { bool } from "../../session/values.ts";
import { requestedAttributes } from "./attributes.ts";
import { subscribe, subscriptionRoom } from "./subscriptions.ts";
import { Outcome } from "./targets.ts";
import type { Presence } from "./element.ts";
import { commitAll } from "./commit.ts";
import { reasonsByUser } from "./each_target.ts";

export function subscribePresenceRequest(p: Presence): PrimitiveModule {
  return {
    name: "SubscribePresence-Request",
    function: ["PresenceFeat", "PresenceDeliverFunc", "GETPR"],
    async handle(ctx, body) {
      const { repo } = p;
      const watcher = ctx.session!.userId;
      const attributes = requestedAttributes(body.PresenceSubList);
      const follow = bool(body.AutoSubscribe) === true;
      const outcome = new Outcome();
      const mutations: Mutation[] = [];
      const reasons = await reasonsByUser(
        p,
        ctx,
        body,
        "subscribe",
        attributes,
        outcome,
        async (listId) => {
          const list = (await repo.list(watcher, listId))!;
          mutations.push(
            repo.setList(watcher, { ...list, autoSubscribe: follow ? attributes : undefined }),
          );
        },
      );
      const room = await subscriptionRoom(repo, watcher);
      const subscribing: Promise<boolean>[] = [];
      for (const [user, why] of reasons) {
        if (!room.admits(user)) outcome.failUserAfterAll(754, user, "Too many subscriptions");
        else subscribing.push(subscribe(p, watcher, user, attributes, why));
      }
      await Promise.all([...subscribing, commitAll(ctx.server.store, mutations)]);
      return outcome.status();
    },
  };
}
