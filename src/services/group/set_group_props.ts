/**
 * SetGroupProps-Request: members and joined users set properties within their role, and their
 * own properties; changed group properties reach the subscribed joined users as a
 * GroupChangeNotice.
 */
import type { PrimitiveModule } from "../../session/handler.ts";
import { ProtocolError, status } from "../../session/status.ts";
import { obj } from "../../session/values.ts";
import type { Mutation } from "../../store/kv.ts";
import { INSUFFICIENT_PRIVILEGES } from "./codes.ts";
import type { Groups } from "./element.ts";
import { noticeMutations } from "./group_change_notice.ts";
import { defaultScreenName } from "./membership.ts";
import {
  checkSearchable,
  DEFAULT_OWN_PROPERTIES,
  type PropertyValues,
  readGroupProperties,
  readOwnProperties,
  readWelcomeNote,
} from "./properties.ts";
import { effectiveRole, isInsider, onGroup, requireNotRejected, requireRole } from "./standing.ts";

export function setGroupProps(g: Groups): PrimitiveModule {
  return {
    name: "SetGroupProps-Request",
    function: ["GroupFeat", "GroupMgmtFunc", "SETGP"],
    async handle(ctx, body) {
      return await onGroup(g, ctx, { name: "SetGroupProps-Request", body }, async (s) => {
        requireNotRejected(s);
        const groupElement = obj(body.GroupProperties);
        const ownElement = obj(body.OwnProperties);
        if (!groupElement && !ownElement) throw new ProtocolError(400, "Nothing to set");
        if (!isInsider(s)) {
          throw new ProtocolError(
            INSUFFICIENT_PRIVILEGES,
            "Only members and joined users set properties",
          );
        }
        const mutations: Mutation[] = [];
        let changed: PropertyValues = {};
        if (groupElement) {
          changed = readGroupProperties(groupElement, effectiveRole(s));
          const welcomeNote = readWelcomeNote(obj(groupElement.WelcomeNote));
          if (welcomeNote) requireRole(s, "Mod", "Changing the WelcomeNote");
          const properties = { ...s.group.properties, ...changed };
          checkSearchable(properties, changed);
          const group = { ...s.group, properties, ...(welcomeNote ? { welcomeNote } : {}) };
          mutations.push(s.repo.putGroup(group));
          if (Object.keys(changed).length > 0) {
            const [joined, roles] = await Promise.all([
              s.repo.joined(s.group.id),
              s.repo.members(s.group.id),
            ]);
            mutations.push(
              ...await noticeMutations(g, group, joined, roles, { properties: changed }, s.user),
            );
          }
        }
        if (ownElement) {
          const own = {
            ...DEFAULT_OWN_PROPERTIES,
            ...await s.repo.own(s.group.id, s.user),
            ...readOwnProperties(ownElement),
          };
          const screenName = s.joined?.screenName ?? defaultScreenName(s.user);
          mutations.push(...s.repo.ownMutations(s.group.id, s.user, own, screenName));
        }
        await g.commit(mutations);
        return status(200);
      });
    },
  };
}
