/**
 * GetMessage-Request: one waiting message with its content. It takes nothing out of the mailbox;
 * MessageDelivered does (as Baraza does, fixtures 034-036).
 */
import type { PrimitiveModule } from "../../session/handler.ts";
import { ProtocolError } from "../../session/status.ts";
import { str } from "../../session/values.ts";
import { dispose } from "./delivery.ts";
import type { Im } from "./element.ts";
import { isMessageId } from "./storage.ts";

export function getMessageRequest(im: Im): PrimitiveModule {
  return {
    name: "GetMessage-Request",
    function: ["IMFeat", "IMReceiveFunc", "GETM"],
    async handle(ctx, body) {
      const messageId = str(body.MessageID)?.trim();
      if (!messageId) throw new ProtocolError(400, "MessageID missing");
      const user = ctx.session!.userId;
      const { mailbox } = im;
      const waiting = isMessageId(messageId) ? await mailbox.message(user, messageId) : undefined;
      if (!waiting) throw new ProtocolError(426, "Invalid message-id");
      const message = waiting.value;
      if (message.expiresAt !== undefined && message.expiresAt <= Date.now()) {
        await dispose(im, waiting, 542);
        throw new ProtocolError(542, "Message has expired");
      }
      return {
        name: "GetMessage-Response",
        body: {
          MessageInfo: im.present.messageInfo(message),
          ContentData: await mailbox.content(message),
        },
      };
    },
  };
}
