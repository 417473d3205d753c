/**
 * UnsubscribeNotification-Request (1.3): types a session no longer hears.
 */
import type { PrimitiveModule } from "../../session/handler.ts";
import { status } from "../../session/status.ts";
import { requestedTypes, setSubscribed, subscribedTypes } from "./notification.ts";

/** An empty NotificationTypeList ends every subscription of the session. */
export const unsubscribeNotificationRequest: PrimitiveModule = {
  name: "UnsubscribeNotification-Request",
  versions: ["1.3"],
  async handle(ctx, body) {
    const session = ctx.session!.id;
    const dropped = new Set(requestedTypes(body));
    const kept = dropped.size === 0
      ? []
      : (await subscribedTypes(ctx.server, session)).filter((t) => !dropped.has(t));
    await ctx.server.store.write(setSubscribed(session, kept));
    return status(200);
  },
};
