/** RejectMessage-Request: the recipient refuses waiting messages; senders who asked get 538. */
import type { PrimitiveModule } from "../../session/handler.ts";
import { ProtocolError, result, status } from "../../session/status.ts";
import { strs } from "../../session/values.ts";
import { dispose } from "./delivery.ts";
import type { Im } from "./element.ts";
import { isMessageId } from "./storage.ts";

/** MessageIDs one request may name: bounded work per request. */
const MAX_IDS = 100;

export function rejectMessageRequest(im: Im): PrimitiveModule {
  return {
    name: "RejectMessage-Request",
    function: ["IMFeat", "IMReceiveFunc", "REJCM"],
    async handle(ctx, body) {
      const ids = [...new Set(strs(body.MessageID).map((id) => id.trim()))];
      if (ids.length === 0) throw new ProtocolError(400, "MessageID missing");
      if (ids.length > MAX_IDS) throw new ProtocolError(402, `At most ${MAX_IDS} MessageIDs`);
      const { mailbox } = im;
      const unknown: string[] = [];
      for (const id of ids) {
        const waiting = isMessageId(id)
          ? await mailbox.message(ctx.session!.userId, id)
          : undefined;
        // One settled by someone else meanwhile (delivered, say) is no longer there to reject.
        if (!waiting || !await dispose(im, waiting, 538)) unknown.push(id);
      }
      if (unknown.length === 0) return status(200);
      const detail = { Code: 426, Description: "Invalid message-id", MessageID: unknown };
      const code = unknown.length === ids.length ? 426 : 201;
      return { name: "Status", body: { Result: { ...result(code), DetailedResult: [detail] } } };
    },
  };
}
