/**
 * GetPresence-Request: the presence of users and of the contacts of the caller's lists, cut to
 * what the caller may see and asked for. A user the caller may not see, and one that does not
 * exist, both come back as an empty PresenceSubList. A read that showed something is noted for
 * the owner's GetWatcherList history.
 */
import type { ElementObject } from "../../codec/csp/message.ts";
import type { PrimitiveModule } from "../../session/handler.ts";
import { intersect, requestedAttributes, visiblePart } from "./attributes.ts";
import { decideFor } from "./authorization.ts";
import type { Mutation } from "../../store/kv.ts";
import { Outcome } from "./targets.ts";
import type { Presence } from "./element.ts";
import { commitAll } from "./commit.ts";
import { forEachTarget } from "./each_target.ts";
import { presenceElement } from "./presence_notification.ts";

export function getPresenceRequest(p: Presence): PrimitiveModule {
  return {
    name: "GetPresence-Request",
    function: ["PresenceFeat", "PresenceDeliverFunc", "GETPR"],
    async handle(ctx, body) {
      const { repo } = p;
      const caller = ctx.session!.userId;
      const wanted = requestedAttributes(body.PresenceSubList);
      const outcome = new Outcome();
      const answered = new Set<string>();
      const presences: ElementObject[] = [];
      const accesses: Mutation[] = [];
      const remote = forEachTarget(p, ctx, body, "get-presence", wanted, outcome, async (user) => {
        if (answered.has(user)) return;
        answered.add(user);
        const decision = await decideFor(p, user, caller);
        const shown = decision.kind === "granted"
          ? visiblePart(await repo.presence(user), intersect(decision.attributes, wanted))
          : {};
        presences.push(presenceElement(user, shown, false));
        // Who read it goes into the owner's watcher history (PRESENCE_ACCESS), if they saw some.
        if (user !== caller && Object.keys(shown).length > 0) {
          accesses.push(repo.presenceAccess(user, caller));
        }
      });
      presences.push(...await remote); // after the local ones: the relay answers last
      await commitAll(ctx.server.store, accesses);
      const answer: ElementObject = { Result: outcome.result() };
      if (presences.length > 0) answer.Presence = presences;
      return { name: "GetPresence-Response", body: answer };
    },
  };
}
