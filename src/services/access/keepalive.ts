/**
 * KeepAlive-Request: renews the session and settles its keep-alive time within the bounds. A
 * session with a CIR agreed keeps the long IMPS_CIR_TTL whatever it asks: woken when something
 * waits, it need not come back often to stay.
 */
import type { PrimitiveModule } from "../../session/handler.ts";
import { result } from "../../session/status.ts";
import { int } from "../../session/values.ts";

export const keepAliveRequest: PrimitiveModule = {
  name: "KeepAlive-Request",
  async handle(ctx, body) {
    const session = ctx.session!;
    const requested = int(body.TimeToLive);
    const ttl = session.cir
      ? ctx.server.config.cir.ttlS
      : requested === undefined
      ? session.ttl
      : ctx.server.sessions.negotiateTtl(requested);
    ctx.session = await ctx.server.sessions.update(session, {
      ttl,
      expiresAt: Date.now() + ttl * 1000,
    });
    return { name: "KeepAlive-Response", body: { Result: result(200), KeepAliveTime: ttl } };
  },
};
