/**
 * SubscribeNotification-Request (1.3): the Notification-Request types a session hears.
 */
import type { PrimitiveModule } from "../../session/handler.ts";
import { status } from "../../session/status.ts";
import { requestedTypes, setSubscribed, subscribedTypes } from "./notification.ts";

export const subscribeNotificationRequest: PrimitiveModule = {
  name: "SubscribeNotification-Request",
  versions: ["1.3"],
  async handle(ctx, body) {
    const session = ctx.session!.id;
    const types = new Set([...await subscribedTypes(ctx.server, session), ...requestedTypes(body)]);
    await ctx.server.store.write(setSubscribed(session, [...types]));
    return status(200);
  },
};
