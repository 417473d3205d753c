/**
 * GetWatcherList-Request (PresenceAuthFunc GETWL): who watches the owner, and who did.
 */
import type { ElementObject } from "../../codec/csp/message.ts";
import type { PrimitiveModule } from "../../session/handler.ts";
import { ProtocolError } from "../../session/status.ts";
import { int } from "../../session/values.ts";
import { LIMITS } from "./limits.ts";
import type { Watched } from "./storage.ts";
import type { Presence } from "./element.ts";

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
