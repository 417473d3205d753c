/**
 * GetAttributeList-Request (AttListFunc GALS): the caller's attribute lists.
 */
import type { ElementObject } from "../../codec/csp/message.ts";
import type { PrimitiveModule } from "../../session/handler.ts";
import { attributeNameList } from "./attributes.ts";
import { Outcome } from "./targets.ts";
import type { Presence } from "./element.ts";
import { attributeListTargets } from "./attribute_lists.ts";

/** With no target and DefaultList not T, every attribute list of the caller is returned. */
export function getAttributeListRequest(p: Presence): PrimitiveModule {
  return {
    name: "GetAttributeList-Request",
    function: ["PresenceFeat", "AttListFunc", "GALS"],
    async handle(ctx, body) {
      const { repo } = p;
      const owner = ctx.session!.userId;
      const outcome = new Outcome();
      const targets = await attributeListTargets(ctx, repo, body, outcome);
      const everything = targets.users.length === 0 && targets.lists.length === 0 &&
        !targets.defaultList && outcome.result().Code === 200;
      const [auths, settings, lists] = await Promise.all([
        repo.auths(owner),
        repo.settings(owner),
        everything ? repo.lists(owner) : Promise.resolve(targets.lists),
      ]);
      const users = everything ? [...auths.keys()] : targets.users;
      const presences: ElementObject[] = [];
      for (const user of users) {
        const auth = auths.get(user);
        if (auth?.state !== "granted") continue;
        presences.push({ UserID: user, PresenceSubList: attributeNameList(auth.attributes) });
      }
      for (const list of lists) {
        if (list.grant) {
          presences.push({ ContactList: list.id, PresenceSubList: attributeNameList(list.grant) });
        }
      }
      const answer: ElementObject = { Result: outcome.result() };
      if ((everything || targets.defaultList) && settings.defaultGrant) {
        answer.DefaultAttributeList = { PresenceSubList: attributeNameList(settings.defaultGrant) };
      }
      if (presences.length) answer.Presence = presences;
      return { name: "GetAttributeList-Response", body: answer };
    },
  };
}
