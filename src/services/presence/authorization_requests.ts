/**
 * The owner's side of authorisation (PresenceAuthFunc): answering a watcher's request
 * (PresenceAuth-User, 1.1/1.2), withdrawing it (CancelAuth, 1.1/1.2), listing the decisions
 * (GetReactiveAuthStatus, 1.2) and the watchers (GetWatcherList).
 */
import type { ElementObject } from "../../codec/csp/message.ts";
import type { PrimitiveModule, RequestContext } from "../../session/handler.ts";
import { ProtocolError, result, status } from "../../session/status.ts";
import { bool, int, str } from "../../session/values.ts";
import { parseUserId } from "../../util/userid.ts";
import { attributeNameList, requestedAttributes } from "./attributes.ts";
import { commitAll, notifyWatchers } from "./notify.ts";
import { PresenceRepo } from "./repo.ts";

function watcherId(ctx: RequestContext, raw: string | undefined): string {
  if (raw === undefined) throw new ProtocolError(400, "UserID missing");
  const address = parseUserId(raw, ctx.server.config.domain);
  if (!address) throw new ProtocolError(531, "Invalid user ID");
  return address.id;
}

export const presenceAuthUser: PrimitiveModule = {
  name: "PresenceAuth-User",
  function: ["PresenceFeat", "PresenceAuthFunc", "REACT"],
  versions: ["1.1", "1.2"],
  async handle(ctx, body) {
    const repo = new PresenceRepo(ctx.server.store);
    const owner = ctx.session!.userId;
    const watcher = watcherId(ctx, str(body.UserID));
    const acceptance = bool(body.Acceptance);
    if (acceptance === undefined) throw new ProtocolError(400, "Acceptance must be T or F");
    const at = Date.now();
    if (!acceptance) {
      await commitAll(ctx.server.store, [repo.setAuth(owner, watcher, { state: "denied", at })]);
      return status(200);
    }
    // Granted what the owner lists, else what the watcher asked for, else everything.
    const previous = await repo.auth(owner, watcher);
    const attributes = body.PresenceSubList !== undefined
      ? requestedAttributes(body.PresenceSubList)
      : previous?.state === "pending"
      ? previous.attributes
      : "all";
    const granted = repo.setAuth(owner, watcher, { state: "granted", attributes, at });
    await commitAll(ctx.server.store, [granted]);
    // The watcher's waiting subscription now shows the presence.
    const presence = await repo.presence(owner);
    const notes = await notifyWatchers(
      ctx.server,
      repo,
      owner,
      presence,
      "all",
      new Set([watcher]),
    );
    await commitAll(ctx.server.store, notes);
    return status(200);
  },
};

export const cancelAuthRequest: PrimitiveModule = {
  name: "CancelAuth-Request",
  function: ["PresenceFeat", "PresenceAuthFunc", "CAAUT"],
  versions: ["1.1", "1.2"],
  async handle(ctx, body) {
    const repo = new PresenceRepo(ctx.server.store);
    const watcher = watcherId(ctx, str(body.UserID));
    await commitAll(ctx.server.store, [
      repo.setAuth(ctx.session!.userId, watcher, { state: "denied", at: Date.now() }),
    ]);
    return status(200);
  },
};

/** ReactiveAuthStatus children are not in any source found (digest §2.4): UserID, then
 * ReactiveAuthState GRANTED / DENIED / PENDING and the attributes concerned (inferred). */
export const getReactiveAuthStatusRequest: PrimitiveModule = {
  name: "GetReactiveAuthStatus-Request",
  function: ["PresenceFeat", "PresenceAuthFunc", "GETAUT"],
  versions: ["1.2"],
  async handle(ctx) {
    const repo = new PresenceRepo(ctx.server.store);
    const statuses: ElementObject[] = [];
    for (const [watcher, auth] of await repo.auths(ctx.session!.userId)) {
      const entry: ElementObject = { UserID: watcher, ReactiveAuthState: auth.state.toUpperCase() };
      if (auth.state !== "denied") {
        entry.PresenceSubList = attributeNameList(auth.attributes);
      }
      statuses.push(entry);
    }
    return {
      name: "GetReactiveAuthStatus-Response",
      body: { Result: result(200), ReactiveAuthStatusList: { ReactiveAuthStatus: statuses } },
    };
  },
};

/** GetWatcherList: 1.1 lists `User{UserID}`; 1.2/1.3 `Watcher{User, WatcherStatus}` (fixture
 * 020) with WatcherCount. Only current subscribers: former ones are not remembered, so a
 * HistoryPeriod asks for nothing more. */
export const getWatcherListRequest: PrimitiveModule = {
  name: "GetWatcherList-Request",
  function: ["PresenceFeat", "PresenceAuthFunc", "GETWL"],
  async handle(ctx, body) {
    const repo = new PresenceRepo(ctx.server.store);
    const watchers = [...(await repo.watchers(ctx.session!.userId)).keys()];
    const max = int(body.MaxWatcherList);
    const shown = max === undefined ? watchers : watchers.slice(0, max);
    if (ctx.version === "1.1") {
      return {
        name: "GetWatcherList-Response",
        body: shown.length ? { User: shown.map((UserID) => ({ UserID })) } : {},
      };
    }
    const answer: ElementObject = { WatcherCount: watchers.length };
    if (shown.length) {
      answer.Watcher = shown.map((UserID) => ({
        User: { UserID },
        WatcherStatus: "CURRENT_SUBSCRIBER",
      }));
    }
    return { name: "GetWatcherList-Response", body: answer };
  },
};
