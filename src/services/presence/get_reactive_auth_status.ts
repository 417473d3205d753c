/**
 * GetReactiveAuthStatus-Request (PresenceAuthFunc, 1.2): the owner's decisions about watchers.
 */
import type { ElementObject } from "../../codec/csp/message.ts";
import type { PrimitiveModule } from "../../session/handler.ts";
import { result } from "../../session/status.ts";
import { attributeNameList } from "./attributes.ts";
import type { Presence } from "./element.ts";

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
