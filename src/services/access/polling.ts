/**
 * Polling-Request: hands out waiting server-originated transactions, as many as the client's
 * MultiTrans allows, each as a Request under the outbox's own TransactionID (a message's is its
 * MessageID); the client's Response with that id acknowledges it. Nothing waiting: an empty HTTP body. Handing out writes
 * nothing: the outbox remembers in memory what awaits acknowledgement (src/store/outbox.ts).
 */
import type { CspTransaction } from "../../codec/csp/message.ts";
import type { PrimitiveModule } from "../../session/handler.ts";
import type { Access } from "./element.ts";

export function polling(_access: Access): PrimitiveModule {
  return {
    name: "Polling-Request",
    async handle(ctx) {
      const session = ctx.session!;
      const now = Date.now();
      const { entries, more } = await ctx.server.outbox.handOut(
        session.id,
        now,
        session.multiTrans,
      );
      ctx.deliverableLeft = more;
      if (entries.length === 0) return null;
      return entries.map((e): CspTransaction => ({
        mode: "Request",
        transactionId: e.seq,
        primitive: e.primitive,
      }));
    },
  };
}
