/**
 * SendMessage-Request: checks the content, stores a copy in each local recipient's mailbox and
 * queues it to their sessions, all committed before the answer, which carries the MessageID
 * whenever at least one recipient took the message.
 */
import type { ElementObject } from "../../codec/csp/message.ts";
import type { PrimitiveModule } from "../../session/handler.ts";
import { ProtocolError } from "../../session/status.ts";
import { bool, obj } from "../../session/values.ts";
import { sortableId } from "../../util/ids.ts";
import { checkSender, messageCharges, readContent, readRecipients } from "./compose.ts";
import type { Im } from "./element.ts";
import { distribute, sendResult } from "./recipients.ts";

export function sendMessageRequest(im: Im): PrimitiveModule {
  return {
    name: "SendMessage-Request",
    function: ["IMFeat", "IMSendFunc", "MDELIV"],
    charges: (body) => messageCharges(obj(body.MessageInfo)?.Recipient),
    async handle(ctx, body) {
      const info = obj(body.MessageInfo);
      if (!info) throw new ProtocolError(400, "MessageInfo missing");
      const recipient = obj(info.Recipient);
      if (!recipient) throw new ProtocolError(400, "Recipient missing");
      checkSender(ctx, obj(info.Sender));
      const { content, ...described } = readContent(
        info,
        body.ContentData,
        ctx.server.config,
      );
      const draft = {
        ...described,
        id: sortableId(),
        sender: ctx.session!.userId,
        sentAt: Date.now(),
        deliveryReport: bool(body.DeliveryReport) ?? false,
      };
      const outcomes = await distribute(im, draft, content, readRecipients(recipient), [
        draft.sender,
      ]);
      const { result, ok } = sendResult(outcomes);
      const answer: ElementObject = { Result: result };
      if (ok) answer.MessageID = draft.id;
      return { name: "SendMessage-Response", body: answer };
    },
  };
}
