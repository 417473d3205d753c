/**
 * UpdatePresence-Request: stores the attributes the user publishes (each replaces the previous
 * value whole; unknown attributes are kept) and queues a notification for every watcher allowed
 * to see a changed attribute, all before answering.
 */
import type { PrimitiveModule } from "../../session/handler.ts";
import { status } from "../../session/status.ts";
import { mergePresence, publishedAttributes } from "./attributes.ts";
import { publishPresence } from "./publish.ts";
import type { Presence } from "./element.ts";

export function updatePresenceRequest(p: Presence): PrimitiveModule {
  return {
    name: "UpdatePresence-Request",
    function: ["PresenceFeat", "PresenceDeliverFunc", "UPDPR"],
    async handle(ctx, body) {
      const user = ctx.session!.userId;
      const update = publishedAttributes(body.PresenceSubList);
      const changed = Object.keys(update);
      if (changed.length === 0) return status(200);
      await publishPresence(p, user, changed, (current) => mergePresence(current, update));
      return status(200);
    },
  };
}
