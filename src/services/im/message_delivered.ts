/**
 * The recipient's side of delivery: MessageDelivered (sent either as the Response to a
 * NewMessage, or as a Request of its own after GetMessage or a poll) takes a message out of the
 * mailbox and reports 200 to a sender who asked. Repeats and races are harmless: a message
 * delivered lately is answered 200 again and reported once (the disposal holds only while nobody
 * settled it first). A group copy pushed without a mailbox copy is only taken off its session's
 * queue.
 */
import type { Primitive } from "../../codec/csp/message.ts";
import type { AckModule, PrimitiveModule, RequestContext } from "../../session/handler.ts";
import { ProtocolError, status } from "../../session/status.ts";
import { int, obj, str } from "../../session/values.ts";
import { disposal, dispose, type ImAckData, MESSAGE_ACK, takeGroupCopy } from "./delivery.ts";
import type { Im } from "./element.ts";
import { isMessageId } from "./storage.ts";

/**
 * Delivers one message of the caller's mailbox, or a group copy queued only to the caller's
 * session; false when no such message waits (or, for a mailbox message, was ever delivered).
 */
async function delivered(im: Im, ctx: RequestContext, messageId: string): Promise<boolean> {
  if (!isMessageId(messageId)) return false;
  const user = ctx.session!.userId;
  const waiting = await im.mailbox.message(user, messageId);
  if (waiting) {
    // Settled by someone else meanwhile (false) is delivered all the same: answered alike.
    await dispose(im, waiting, 200);
    return true;
  }
  if (await im.mailbox.leftLately(user, messageId)) return true;
  // A pushed group copy leaves no record once taken off the queue: a repeat gets 426.
  return await takeGroupCopy(im, ctx.session!.id, messageId);
}

export function messageDelivered(im: Im): PrimitiveModule {
  return {
    name: "MessageDelivered",
    // Acknowledges both delivery methods, so it is open whichever the session agreed.
    serverFunctions: [["IMFeat", "IMReceiveFunc", "NEWM"], ["IMFeat", "IMReceiveFunc", "NOTIF"]],
    async handle(ctx, body) {
      const messageId = str(body.MessageID)?.trim();
      if (!messageId) throw new ProtocolError(400, "MessageID missing");
      if (!await delivered(im, ctx, messageId)) throw new ProtocolError(426, "Invalid message-id");
      return status(200);
    },
  };
}

/**
 * The answer to a NewMessage: MessageDelivered, or a plain Status 200 from simpler clients. The
 * message leaves the mailbox in the same commit as the queue entry: one commit per
 * acknowledgement (shared with the other acknowledgements of the moment).
 */
export function messageAck(im: Im): AckModule {
  return {
    name: MESSAGE_ACK,
    async onAck(ctx, entry, answer: Primitive) {
      const data = entry.ackData as ImAckData;
      if (!("message" in data)) return;
      const accepted = answer.name === "MessageDelivered" ||
        (answer.name === "Status" && int(obj(answer.body.Result)?.Code) === 200);
      if (!accepted) return;
      // Entries of earlier versions carry no version: their message is read back.
      const waiting = data.stored && data.version
        ? { value: data.stored, versionstamp: data.version }
        : await im.mailbox.message(ctx.session!.userId, data.message);
      if (!waiting) return;
      return {
        mutations: [
          ...await disposal(im, waiting, 200),
          ...ctx.server.outbox.forgetHandOut(ctx.session!.id, entry.seq),
        ],
      };
    },
  };
}
