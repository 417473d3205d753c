/**
 * SubscribeGroupNotice-Request: whether a joined user gets GroupChangeNotices. G asks (answered
 * with Value T/F), S subscribes, U unsubscribes.
 */
import type { PrimitiveModule } from "../../session/handler.ts";
import { ProtocolError, status } from "../../session/status.ts";
import { str } from "../../session/values.ts";
import { GROUP_TEXT, NOT_JOINED } from "./codes.ts";
import type { Groups } from "./element.ts";
import { onGroup } from "./standing.ts";

export function subscribeGroupNotice(g: Groups): PrimitiveModule {
  return {
    name: "SubscribeGroupNotice-Request",
    function: ["GroupFeat", "GroupUseFunc", "SUBGCN"],
    serverFunctions: [["GroupFeat", "GroupUseFunc", "GRCHN"]],
    async handle(ctx, body) {
      const type = str(body.SubscribeType)?.trim().toUpperCase();
      if (type === undefined) throw new ProtocolError(400, "SubscribeType missing");
      if (type !== "G" && type !== "S" && type !== "U") {
        throw new ProtocolError(402, "SubscribeType is G, S or U");
      }
      return await onGroup(g, ctx, { name: "SubscribeGroupNotice-Request", body }, async (s) => {
        if (!s.joined) throw new ProtocolError(NOT_JOINED, GROUP_TEXT[NOT_JOINED]);
        if (type === "G") {
          return {
            name: "SubscribeGroupNotice-Response",
            body: { Value: s.joined.subscribed ? "T" : "F" },
          };
        }
        await g.server.store.write(
          s.repo.updateJoined(s.group.id, { ...s.joined, subscribed: type === "S" }),
        );
        return status(200);
      });
    },
  };
}
