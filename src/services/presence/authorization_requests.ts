/**
 * The owner's side of authorisation (PresenceAuthFunc): answering a watcher's request
 * (PresenceAuth-User, 1.1/1.2), withdrawing it (CancelAuth, 1.1/1.2), listing the decisions
 * (GetReactiveAuthStatus, 1.2) and the watchers (GetWatcherList).
 */
import type { ElementObject } from "../../codec/csp/message.ts";
import type { PrimitiveModule, RequestContext } from "../../session/handler.ts";
import { ProtocolError, result, status } from "../../session/status.ts";
import { bool, int, str } from "../../session/values.ts";
import { parseUserId } from "../shared/ids.ts";
import { attributeNameList, requestedAttributes } from "./attributes.ts";
import { commitAll } from "./notify.ts";
import { renotifyWatchers } from "./publish.ts";
import { LIMITS } from "./limits.ts";
import type { Watched } from "./repo.ts";
import type { Presence } from "./element.ts";

function watcherId(ctx: RequestContext, raw: string | undefined): string {
  if (raw === undefined) throw new ProtocolError(400, "UserID missing");
  const address = parseUserId(raw, ctx.server.config.domain);
  if (!address) throw new ProtocolError(531, "Invalid user ID");
  return address.id;
}

export function presenceAuthUser(p: Presence): PrimitiveModule {
  return {
    name: "PresenceAuth-User",
    function: ["PresenceFeat", "PresenceAuthFunc", "REACT"],
    versions: ["1.1", "1.2"],
    async handle(ctx, body) {
      const { repo } = p;
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
      await renotifyWatchers(p, owner, new Set([watcher]));
      return status(200);
    },
  };
}

export function cancelAuthRequest(p: Presence): PrimitiveModule {
  return {
    name: "CancelAuth-Request",
    function: ["PresenceFeat", "PresenceAuthFunc", "CAAUT"],
    versions: ["1.1", "1.2"],
    async handle(ctx, body) {
      const { repo } = p;
      const watcher = watcherId(ctx, str(body.UserID));
      await commitAll(ctx.server.store, [
        repo.setAuth(ctx.session!.userId, watcher, { state: "denied", at: Date.now() }),
      ]);
      return status(200);
    },
  };
}

/** ReactiveAuthStatus children are not in any source found (digest §2.4): UserID, then
 * ReactiveAuthState GRANTED / DENIED / PENDING and the attributes concerned (inferred). */
export function getReactiveAuthStatusRequest(p: Presence): PrimitiveModule {
  return {
    name: "GetReactiveAuthStatus-Request",
    function: ["PresenceFeat", "PresenceAuthFunc", "GETAUT"],
    versions: ["1.2"],
    async handle(ctx) {
      const { repo } = p;
      const statuses: ElementObject[] = [];
      for (const [watcher, auth] of await repo.auths(ctx.session!.userId)) {
        const entry: ElementObject = {
          UserID: watcher,
          ReactiveAuthState: auth.state.toUpperCase(),
        };
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
}

/** A non-negative integer, absent, or 402. */
function count(value: ElementObject[string], name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = int(value);
  if (n === undefined) throw new ProtocolError(402, `Invalid ${name}`);
  return n;
}

/**
 * GetWatcherList: 1.1 lists current subscribers as `User{UserID}`; 1.2/1.3 answer
 * `Watcher{User, WatcherStatus}` (fixture 020) with WatcherCount. With a HistoryPeriod (seconds,
 * 1.2+), the answer also holds those who unsubscribed within it (FORMER_SUBSCRIBER) and those who
 * read the presence with GetPresence without subscribing (PRESENCE_ACCESS), the most recent
 * first, and echoes the period it covered (at most LIMITS.historySeconds). A user is listed once:
 * current before former before access. MaxWatcherList cuts the list, not WatcherCount.
 */
export function getWatcherListRequest(p: Presence): PrimitiveModule {
  return {
    name: "GetWatcherList-Request",
    function: ["PresenceFeat", "PresenceAuthFunc", "GETWL"],
    async handle(ctx, body) {
      const { repo } = p;
      const owner = ctx.session!.userId;
      const current = [...(await repo.watchers(owner)).keys()];
      const max = count(body.MaxWatcherList, "MaxWatcherList");
      if (ctx.version === "1.1") {
        const shown = max === undefined ? current : current.slice(0, max);
        return {
          name: "GetWatcherList-Response",
          body: shown.length ? { User: shown.map((UserID) => ({ UserID })) } : {},
        };
      }
      const requested = count(body.HistoryPeriod, "HistoryPeriod");
      const watchers = current.map((watcher) => ({ watcher, status: "CURRENT_SUBSCRIBER" }));
      const answer: ElementObject = {};
      if (requested !== undefined) {
        const period = Math.min(requested, LIMITS.historySeconds);
        const history = await repo.history(owner, Date.now() - period * 1000);
        const listed = new Set(current);
        const add = (entries: Watched[], status: string) => {
          for (const { watcher } of entries.sort((a, b) => b.at - a.at)) {
            if (listed.has(watcher)) continue;
            listed.add(watcher);
            watchers.push({ watcher, status });
          }
        };
        add(history.former, "FORMER_SUBSCRIBER");
        add(history.access, "PRESENCE_ACCESS");
        answer.HistoryPeriod = period;
      }
      answer.WatcherCount = watchers.length;
      const shown = max === undefined ? watchers : watchers.slice(0, max);
      if (shown.length) {
        answer.Watcher = shown.map(({ watcher, status }) => ({
          User: { UserID: watcher },
          WatcherStatus: status,
        }));
      }
      return { name: "GetWatcherList-Response", body: answer };
    },
  };
}
