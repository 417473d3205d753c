/**
 * CancelAuth-Request (PresenceAuthFunc CAAUT, 1.1/1.2): the owner withdraws an authorisation.
 */
import type { PrimitiveModule } from "../../session/handler.ts";
import { status } from "../../session/status.ts";
import { str } from "../../session/values.ts";
import type { Presence } from "./element.ts";
import { commitAll } from "./commit.ts";
import { watcherId } from "./targets.ts";

export function cancelAuthRequest(p: Presence): PrimitiveModule {
  return {
    name: "CancelAuth-Request",
    function: ["PresenceFeat", "PresenceAuthFunc", "CAAUT"],
    versions: ["1.1", "1.2"],
    async handle(ctx, body) {
      const { repo } = p;
      const watcher = watcherId(ctx, str(body.UserID));
      await commitAll(ctx.server.store, [
        repo.setAuth(ctx.session!.userId, watcher, { state: "denied", at: Date.now() }),
      ]);
      return status(200);
    },
  };
}
