/**
 * Block and grant lists as CSP elements (digest §2.3 EntityList): written for GetBlockedList,
 * read and applied for BlockEntity / BlockUser. Entities are normalised as they are read, so a
 * list compares by identity and answers what it holds.
 */
import type { ElementObject } from "../../codec/csp/message.ts";
import type { RequestContext } from "../../session/handler.ts";
import { ProtocolError } from "../../session/status.ts";
import { all, obj, str, strs } from "../../session/values.ts";
import { parseUserId, sameGroupKey } from "../shared/ids.ts";
import type { EntityList } from "../shared/privacy.ts";

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

/** A BlockList or GrantList as answered: up to 1.2 with its `InUse` inside (1.3 answers it
 * beside, as `BlockListInUse` / `GrantListInUse`). */
export function listElement(ctx: RequestContext, inUse: boolean, list: EntityList): ElementObject {
  const element: ElementObject = {};
  if (ctx.version !== "1.3") element.InUse = inUse;
  const entities = entityListElement(list);
  if (entities) element.EntityList = entities;
  return element;
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
    GroupID: strs(element.GroupID).map((g) => sameGroupKey(text(g, "GroupID"))),
    ContactList: strs(element.ContactList).map((c) => text(c, "ContactList").toLowerCase()),
    ApplicationID: strs(element.ApplicationID).map((a) => text(a, "ApplicationID")),
    ScreenName: all(element.ScreenName).map((s) => {
      const screenName = obj(s);
      return {
        SName: text(str(screenName?.SName) ?? "", "SName"),
        GroupID: sameGroupKey(text(str(screenName?.GroupID) ?? "", "GroupID")),
      };
    }),
  };
}

/** `list` with what a BlockList or GrantList element adds and removes; 402 past
 * MAX_LIST_ENTRIES. */
export function applyChanges(
  ctx: RequestContext,
  list: EntityList,
  change: ElementObject | undefined,
): EntityList {
  if (!change) return list;
  const add = obj(change.AddList);
  const remove = obj(change.RemoveList);
  const added = add ? readEntities(ctx, add) : undefined;
  const removed = remove ? readEntities(ctx, remove) : undefined;
  // Group ids kept by earlier versions lack the `wv:` the shared key adds: compared in its form.
  const current: EntityList = {
    ...list,
    GroupID: list.GroupID.map(sameGroupKey),
    ScreenName: list.ScreenName.map((s) => ({ ...s, GroupID: sameGroupKey(s.GroupID) })),
  };
  const result = { ...current };
  for (const key of Object.keys(current) as (keyof EntityList)[]) {
    const same = (a: unknown) => (b: unknown) => JSON.stringify(a) === JSON.stringify(b);
    let values: unknown[] = [...current[key]];
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
