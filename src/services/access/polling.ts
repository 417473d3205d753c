/**
 * Polling-Request: hands out waiting server-originated transactions, as many as the client's
 * MultiTrans allows, each as a Request under the outbox's own TransactionID; the client's
 * Response with that id acknowledges it. Nothing waiting: an empty HTTP body.
 */
import type { CspTransaction } from "../../codec/csp/message.ts";
import type { PrimitiveModule } from "../../session/handler.ts";

export const pollingRequest: PrimitiveModule = {
  name: "Polling-Request",
  async handle(ctx) {
    const session = ctx.session!;
    const now = Date.now();
    const entries = await ctx.server.outbox.deliverable(session.id, now, session.multiTrans);
    if (entries.length === 0) return null;
    await ctx.server.outbox.markSent(session.id, entries, now);
    return entries.map((e): CspTransaction => ({
      mode: "Request",
      transactionId: e.seq,
      primitive: e.primitive,
    }));
  },
};
