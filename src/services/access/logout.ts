/** Logout-Request: CSP 1.1 answers with Disconnect (spec example wv-014), later versions with
 * Status (as real servers do for 1.2). */
import type { PrimitiveModule } from "../../session/handler.ts";
import { result, status } from "../../session/status.ts";
import type { Access } from "./element.ts";

export function logout(_access: Access): PrimitiveModule {
  return {
    name: "Logout-Request",
    async handle(ctx) {
      await ctx.server.sessions.end(ctx.session!, "logout");
      ctx.sessionEnded = true;
      return ctx.version === "1.1"
        ? { name: "Disconnect", body: { Result: result(200) } }
        : status(200);
    },
  };
}
