/**
 * GetBlockedList-Request and BlockEntity-Request (BlockUser-Request in 1.1): read and change the
 * caller's block and grant lists. Up to 1.2 `InUse` sits inside each list; 1.3 moved it to
 * `BlockListInUse` / `GrantListInUse`. Both forms are read in every version; answers use the
 * caller's version.
 */
import type { ElementObject } from "../../codec/csp/message.ts";
import type { PrimitiveModule, RequestContext } from "../../session/handler.ts";
import { ProtocolError, status } from "../../session/status.ts";
import { all, bool, obj, str, strs } from "../../session/values.ts";
import { parseUserId } from "../shared/ids.ts";
import type { EntityList } from "../shared/privacy.ts";
import type { Im } from "./element.ts";

/** Entries one list may hold: bounded storage per user. */
export const MAX_LIST_ENTRIES = 500;
const MAX_ID_LENGTH = 256;

function entityListElement(list: EntityList): ElementObject | undefined {
  const element: ElementObject = {};
  for (const [name, values] of Object.entries(list)) {
    if (values.length > 0) element[name] = values;
  }
  return Object.keys(element).length > 0 ? element : undefined;
}

function listElement(ctx: RequestContext, inUse: boolean, list: EntityList): ElementObject {
  const element: ElementObject = {};
  if (ctx.version !== "1.3") element.InUse = inUse;
  const entities = entityListElement(list);
  if (entities) element.EntityList = entities;
  return element;
}

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

function readBoolean(value: Parameters<typeof bool>[0], name: string): boolean | undefined {
  if (value === undefined) return undefined;
  const b = bool(value);
  if (b === undefined) throw new ProtocolError(402, `${name} must be T or F`);
  return b;
}

function text(value: string, name: string): string {
  const trimmed = value.trim();
  if (trimmed === "" || trimmed.length > MAX_ID_LENGTH) {
    throw new ProtocolError(402, `Bad ${name}`);
  }
  return trimmed;
}

/** The entities an AddList or RemoveList names, normalised so lists compare by identity. */
function readEntities(ctx: RequestContext, element: ElementObject): EntityList {
  const domain = ctx.server.config.domain;
  const userIds = [
    ...strs(element.UserID),
    ...all(obj(element.UserList)?.User).map((u) => str(obj(u)?.UserID) ?? ""),
  ];
  return {
    UserID: userIds.map((raw) => {
      const address = parseUserId(raw, domain);
      if (!address) throw new ProtocolError(402, `Bad UserID ${raw.slice(0, 64)}`);
      return address.id;
    }),
    GroupID: strs(element.GroupID).map((g) => text(g, "GroupID").toLowerCase()),
    ContactList: strs(element.ContactList).map((c) => text(c, "ContactList").toLowerCase()),
    ApplicationID: strs(element.ApplicationID).map((a) => text(a, "ApplicationID")),
    ScreenName: all(element.ScreenName).map((s) => {
      const screenName = obj(s);
      return {
        SName: text(str(screenName?.SName) ?? "", "SName"),
        GroupID: text(str(screenName?.GroupID) ?? "", "GroupID").toLowerCase(),
      };
    }),
  };
}

function applyChanges(
  ctx: RequestContext,
  list: EntityList,
  change: ElementObject | undefined,
): EntityList {
  if (!change) return list;
  const add = obj(change.AddList);
  const remove = obj(change.RemoveList);
  const added = add ? readEntities(ctx, add) : undefined;
  const removed = remove ? readEntities(ctx, remove) : undefined;
  const result = { ...list };
  for (const key of Object.keys(list) as (keyof EntityList)[]) {
    const same = (a: unknown) => (b: unknown) => JSON.stringify(a) === JSON.stringify(b);
    let values: unknown[] = [...list[key]];
    for (const value of added?.[key] ?? []) {
      if (!values.some(same(value))) values.push(value);
    }
    for (const value of removed?.[key] ?? []) values = values.filter((v) => !same(value)(v));
    if (values.length > MAX_LIST_ENTRIES) {
      throw new ProtocolError(402, `A list holds at most ${MAX_LIST_ENTRIES} entries`);
    }
    (result as Record<string, unknown[]>)[key] = values;
  }
  return result;
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

/** The 1.1 name of BlockEntity-Request (same token); either name is taken in every version. */
export function blockUserRequest(im: Im): PrimitiveModule {
  return {
    name: "BlockUser-Request",
    function: ["IMFeat", "IMAuthFunc", "BLENT"],
    handle: (ctx, body) => blockEntity(im, ctx, body),
  };
}
