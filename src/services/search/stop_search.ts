/** StopSearch-Request: forgets a search of the session, and its results. */
import type { PrimitiveModule } from "../../session/handler.ts";
import { ProtocolError, status } from "../../session/status.ts";
import { str } from "../../session/values.ts";
import type { Search } from "./element.ts";

export function stopSearch({ server, results }: Search): PrimitiveModule {
  return {
    name: "StopSearch-Request",
    function: ["FundamentalFeat", "SearchFunc", "STSRC"],
    async handle(ctx, body) {
      const searchId = str(body.SearchID)?.trim();
      if (!searchId) throw new ProtocolError(400, "SearchID missing");
      const search = await results.get(ctx.session!.id, searchId);
      if (!search) throw new ProtocolError(424, "Invalid search-id");
      await server.store.write(...results.removeMutations(ctx.session!.id, search));
      return status(200);
    },
  };
}
