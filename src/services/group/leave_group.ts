/**
 * LeaveGroup-Request, and the server's own leave when the user's last session ends: the user
 * is out of the group, and the subscribed users who remain are told.
 */
import type { PrimitiveModule } from "../../session/handler.ts";
import { ProtocolError } from "../../session/status.ts";
import type { SessionRecord } from "../../store/sessions.ts";
import { GROUP_TEXT, NOT_JOINED } from "./codes.ts";
import type { Groups } from "./element.ts";
import { requireGroupUse } from "./join_group.ts";
import { leaveMutations } from "./membership.ts";
import { onGroup } from "./standing.ts";

export function leaveGroup(g: Groups): PrimitiveModule {
  return {
    name: "LeaveGroup-Request",
    async handle(ctx, body) {
      requireGroupUse(ctx);
      return await onGroup(g, ctx, { name: "LeaveGroup-Request", body }, async (s) => {
        if (!s.joined) throw new ProtocolError(NOT_JOINED, GROUP_TEXT[NOT_JOINED]);
        await g.commit(await leaveMutations(g, s.group, s.joined));
        return {
          name: "LeaveGroup-Response",
          body: { GroupID: s.group.id, Result: { Code: 200, Description: "Successful" } },
        };
      });
    },
  };
}

/** The user's last session ended: they leave every group they were joined to. */
export async function leaveAllGroups(g: Groups, session: SessionRecord) {
  const { repo, server } = g;
  if (await server.sessions.repo.hasSessions(session.userId)) return;
  for (const groupId of await repo.joinedBy(session.userId)) {
    await g.changes.run(groupId, async () => {
      const [group, record] = await Promise.all([
        repo.group(groupId),
        repo.joinedRecord(groupId, session.userId),
      ]);
      if (!group || !record) return;
      await g.commit(await leaveMutations(g, group, record));
    });
  }
}
