/**
 * PresenceAuth-User (PresenceAuthFunc REACT, 1.1/1.2): the owner answers a watcher's request.
 */
import type { PrimitiveModule } from "../../session/handler.ts";
import { ProtocolError, status } from "../../session/status.ts";
import { bool, str } from "../../session/values.ts";
import { requestedAttributes } from "./attributes.ts";
import { renotifyWatchers } from "./publish.ts";
import type { Presence } from "./element.ts";
import { commitAll } from "./commit.ts";
import { watcherId } from "./targets.ts";

export function presenceAuthUser(p: Presence): PrimitiveModule {
  return {
    name: "PresenceAuth-User",
    function: ["PresenceFeat", "PresenceAuthFunc", "REACT"],
    versions: ["1.1", "1.2"],
    async handle(ctx, body) {
      const { repo } = p;
      const owner = ctx.session!.userId;
      const watcher = watcherId(ctx, str(body.UserID));
      const acceptance = bool(body.Acceptance);
      if (acceptance === undefined) throw new ProtocolError(400, "Acceptance must be T or F");
      const at = Date.now();
      if (!acceptance) {
        await commitAll(ctx.server.store, [repo.setAuth(owner, watcher, { state: "denied", at })]);
        return status(200);
      }
      // Granted what the owner lists, else what the watcher asked for, else everything.
      const previous = await repo.auth(owner, watcher);
      const attributes = body.PresenceSubList !== undefined
        ? requestedAttributes(body.PresenceSubList)
        : previous?.state === "pending"
        ? previous.attributes
        : "all";
      const granted = repo.setAuth(owner, watcher, { state: "granted", attributes, at });
      await commitAll(ctx.server.store, [granted]);
      // The watcher's waiting subscription now shows the presence.
      await renotifyWatchers(p, owner, new Set([watcher]));
      return status(200);
    },
  };
}
