/**
 * SetDeliveryMethod-Request: push (P, NewMessage) or notify/get (N, MessageNotification then
 * GetMessage) for this session, and optionally the largest content it takes pushed.
 */
import type { PrimitiveModule } from "../../session/handler.ts";
import { ProtocolError, status } from "../../session/status.ts";
import { int, str } from "../../session/values.ts";
import type { Im } from "./element.ts";
import { GROUP_DELIVERY_METHOD_UNAVAILABLE } from "./group_delivery.ts";

export function setDeliveryMethodRequest(im: Im): PrimitiveModule {
  return {
    name: "SetDeliveryMethod-Request",
    function: ["IMFeat", "IMReceiveFunc", "SETD"],
    async handle(ctx, body) {
      if (body.GroupID !== undefined) {
        return status(
          GROUP_DELIVERY_METHOD_UNAVAILABLE.code,
          GROUP_DELIVERY_METHOD_UNAVAILABLE.description,
        );
      }
      const method = str(body.DeliveryMethod)?.trim().toUpperCase();
      if (method === undefined) throw new ProtocolError(400, "DeliveryMethod missing");
      if (method !== "P" && method !== "N") {
        throw new ProtocolError(402, "DeliveryMethod is P or N");
      }
      const length = body.AcceptedContentLength === undefined
        ? undefined
        : int(body.AcceptedContentLength);
      if (body.AcceptedContentLength !== undefined && length === undefined) {
        throw new ProtocolError(402, "AcceptedContentLength must be a whole number");
      }
      await im.mailbox.setPrefs(ctx.session!.id, {
        method,
        ...(length !== undefined ? { acceptedContentLength: length } : {}),
      });
      return status(200);
    },
  };
}
