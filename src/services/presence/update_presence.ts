/**
 * UpdatePresence-Request: stores the attributes the user publishes (each replaces the previous
 * value whole; unknown attributes are kept) and queues a notification for every watcher allowed
 * to see a changed attribute, all before answering.
 */
import type { PrimitiveModule } from "../../session/handler.ts";
import { status } from "../../session/status.ts";
import { mergePresence, publishedAttributes } from "./attributes.ts";
import { commitAll, notifyWatchers } from "./notify.ts";
import { PresenceRepo } from "./repo.ts";

export const updatePresenceRequest: PrimitiveModule = {
  name: "UpdatePresence-Request",
  function: ["PresenceFeat", "PresenceDeliverFunc", "UPDPR"],
  async handle(ctx, body) {
    const repo = new PresenceRepo(ctx.server.store);
    const user = ctx.session!.userId;
    const update = publishedAttributes(body.PresenceSubList);
    const changed = Object.keys(update);
    if (changed.length === 0) return status(200);
    const presence = mergePresence(await repo.presence(user), update);
    await commitAll(ctx.server.store, [
      repo.setPresence(user, presence),
      ...await notifyWatchers(ctx.server, repo, user, presence, changed),
    ]);
    return status(200);
  },
};
