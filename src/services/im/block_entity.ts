/**
 * BlockEntity-Request: changes the caller's block and grant lists. Up to 1.2 `InUse` sits inside
 * each list; 1.3 moved it to `BlockListInUse` / `GrantListInUse`. Both forms are read in every
 * version.
 */
import type { ElementObject } from "../../codec/csp/message.ts";
import type { PrimitiveModule, RequestContext } from "../../session/handler.ts";
import { ProtocolError, status } from "../../session/status.ts";
import { bool, obj } from "../../session/values.ts";
import type { Im } from "./element.ts";
import { applyChanges } from "./entity_lists.ts";

function readBoolean(value: Parameters<typeof bool>[0], name: string): boolean | undefined {
  if (value === undefined) return undefined;
  const b = bool(value);
  if (b === undefined) throw new ProtocolError(402, `${name} must be T or F`);
  return b;
}

async function blockEntity(im: Im, ctx: RequestContext, body: ElementObject) {
  const repo = im.blocks;
  const owner = ctx.session!.userId;
  const record = await repo.get(owner);
  const blockList = obj(body.BlockList);
  const grantList = obj(body.GrantList);
  const blockInUse = readBoolean(body.BlockListInUse ?? blockList?.InUse, "InUse");
  const grantInUse = readBoolean(body.GrantListInUse ?? grantList?.InUse, "InUse");
  await repo.put(owner, {
    blockInUse: blockInUse ?? record.blockInUse,
    grantInUse: grantInUse ?? record.grantInUse,
    block: applyChanges(ctx, record.block, blockList),
    grant: applyChanges(ctx, record.grant, grantList),
  });
  return status(200);
}

export function blockEntityRequest(im: Im): PrimitiveModule {
  return {
    name: "BlockEntity-Request",
    function: ["IMFeat", "IMAuthFunc", "BLENT"],
    handle: (ctx, body) => blockEntity(im, ctx, body),
  };
}
