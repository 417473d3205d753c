/**
 * ForwardMessage-Request: the recipient of a waiting message passes it on to others. The copy
 * keeps the original sender and content under a new MessageID; the recipients must accept both
 * the original sender and the forwarder. Once anyone took it, the message leaves the forwarder's
 * mailbox and its sender, if they asked, learns 541 (forwarded). 1.3 answers
 * ForwardMessage-Response{MessageID} on full success, Status otherwise; up to 1.2 always Status.
 */
import type { PrimitiveModule } from "../../session/handler.ts";
import { ProtocolError } from "../../session/status.ts";
import { obj, str } from "../../session/values.ts";
import { sortableId } from "../../util/ids.ts";
import { checkSender, messageCharges, readRecipients } from "./compose.ts";
import { dispose } from "./delivery.ts";
import type { Im } from "./element.ts";
import { distribute, sendResult } from "./recipients.ts";
import { isMessageId } from "./storage.ts";
import type { PresentedMessage } from "./presentation.ts";

export function forwardMessageRequest(im: Im): PrimitiveModule {
  return {
    name: "ForwardMessage-Request",
    function: ["IMFeat", "IMSendFunc", "FWMSG"],
    charges: (body) => messageCharges(body.Recipient),
    async handle(ctx, body) {
      const messageId = str(body.MessageID)?.trim();
      if (!messageId) throw new ProtocolError(400, "MessageID missing");
      const recipient = obj(body.Recipient);
      if (!recipient) throw new ProtocolError(400, "Recipient missing");
      checkSender(ctx, obj(body.Sender));
      const forwarder = ctx.session!.userId;
      const { mailbox } = im;
      const waiting = isMessageId(messageId)
        ? await mailbox.message(forwarder, messageId)
        : undefined;
      if (!waiting) throw new ProtocolError(426, "Invalid message-id");
      const original: PresentedMessage = waiting.value;

      // A forward comes from the forwarder's mailbox, not through the group it may have reached
      // them by: it keeps none of the group's addressing. The content travels beside the draft.
      const { recipient: _forwarder, group: _group, content: _content, ...rest }: PresentedMessage =
        original;
      const draft = { ...rest, id: sortableId(), sentAt: Date.now(), deliveryReport: false };
      const content = await mailbox.content(original);
      const outcomes = await distribute(
        im,
        draft,
        content,
        readRecipients(recipient),
        [original.sender, forwarder],
        forwarder,
      );
      const { result, ok } = sendResult(outcomes);
      if (ok) await dispose(im, waiting, 541);
      if (ctx.version === "1.3" && result.Code === 200) {
        return { name: "ForwardMessage-Response", body: { MessageID: draft.id } };
      }
      return { name: "Status", body: { Result: result } };
    },
  };
}
