/**
 * GetGroupProps-Request: anyone the group has not rejected may read a public group's
 * properties; own properties are the caller's alone.
 */
import type { ElementObject } from "../../codec/csp/message.ts";
import type { PrimitiveModule } from "../../session/handler.ts";
import type { Groups } from "./element.ts";
import {
  DEFAULT_OWN_PROPERTIES,
  propertyElements,
  type PropertyValues,
  welcomeNoteElement,
} from "./properties.ts";
import { effectiveRole, onGroup, requireNotRejected } from "./standing.ts";

export function getGroupProps(g: Groups): PrimitiveModule {
  return {
    name: "GetGroupProps-Request",
    function: ["GroupFeat", "GroupMgmtFunc", "GETGP"],
    async handle(ctx, body) {
      return await onGroup(g, ctx, { name: "GetGroupProps-Request", body }, async (s) => {
        requireNotRejected(s);
        const joined = await s.repo.joined(s.group.id);
        const properties: ElementObject = {
          Property: propertyElements({ ...s.group.properties, ActiveUsers: String(joined.length) }),
        };
        if (s.group.welcomeNote) properties.WelcomeNote = welcomeNoteElement(s.group.welcomeNote);
        const role = effectiveRole(s);
        const own: PropertyValues = {
          ...DEFAULT_OWN_PROPERTIES,
          ...await s.repo.own(s.group.id, s.user),
          IsMember: s.role ? "T" : "F",
          ...(role ? { PrivilegeLevel: role } : {}),
        };
        return {
          name: "GetGroupProps-Response",
          body: {
            GroupProperties: properties,
            OwnProperties: { Property: propertyElements(own, true) },
          },
        };
      }, false);
    },
  };
}
