/**
 * DeleteGroup-Request: the owner only; every joined user, the owner too, is told that the group
 * is gone with an unsolicited LeaveGroup-Response 800 (as Baraza does, fixture 056).
 */
import type { PrimitiveModule } from "../../session/handler.ts";
import { ProtocolError, status } from "../../session/status.ts";
import { INSUFFICIENT_PRIVILEGES } from "./codes.ts";
import type { Groups } from "./element.ts";
import { removedMutations } from "./group_change_notice.ts";
import { onGroup } from "./standing.ts";

export function deleteGroup(g: Groups): PrimitiveModule {
  return {
    name: "DeleteGroup-Request",
    function: ["GroupFeat", "GroupMgmtFunc", "DELGR"],
    async handle(ctx, body) {
      return await onGroup(g, ctx, { name: "DeleteGroup-Request", body }, async (s) => {
        if (s.group.owner !== s.user) {
          throw new ProtocolError(INSUFFICIENT_PRIVILEGES, "Only the group's owner may delete it");
        }
        const mutations = await s.repo.deleteMutations(s.group);
        for (const joined of await s.repo.joined(s.group.id)) {
          mutations.push(...await removedMutations(g, joined.user, s.group.id, 800, "Deleted"));
        }
        await g.commit(mutations);
        return status(200);
      });
    },
  };
}
