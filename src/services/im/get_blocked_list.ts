/** GetBlockedList-Request: the caller's block and grant lists, in the caller's version's form. */
import type { ElementObject } from "../../codec/csp/message.ts";
import type { PrimitiveModule } from "../../session/handler.ts";
import type { Im } from "./element.ts";
import { listElement } from "./entity_lists.ts";

export function getBlockedListRequest(im: Im): PrimitiveModule {
  return {
    name: "GetBlockedList-Request",
    function: ["IMFeat", "IMAuthFunc", "GLBLU"],
    async handle(ctx) {
      const record = await im.blocks.get(ctx.session!.userId);
      const body: ElementObject = {
        BlockList: listElement(ctx, record.blockInUse, record.block),
        GrantList: listElement(ctx, record.grantInUse, record.grant),
      };
      if (ctx.version === "1.3") {
        body.BlockListInUse = record.blockInUse;
        body.GrantListInUse = record.grantInUse;
      }
      return { name: "GetBlockedList-Response", body };
    },
  };
}
