/**
 * What the group element offers the operator (the admin API): the groups of this domain, one
 * group's record, members and joined users, and deleting a group as its owner would (every
 * joined user is told with LeaveGroup-Response 800).
 */
import type { Groups } from "./element.ts";
import { removedMutations } from "./group_change_notice.ts";
import type { Role } from "./properties.ts";
import type { GroupRecord, JoinedRecord } from "./storage.ts";

export interface GroupDetail {
  group: GroupRecord;
  members: Record<string, Role>;
  joined: JoinedRecord[];
  rejected: string[];
}

export interface GroupAdmin {
  list(): Promise<GroupRecord[]>;
  show(id: string): Promise<GroupDetail | undefined>;
  /** False when there is no such group. */
  delete(id: string): Promise<boolean>;
}

export function groupAdmin(g: Groups): GroupAdmin {
  const { repo } = g;
  return {
    list: () => repo.allGroups(),
    async show(id) {
      const group = await repo.group(id);
      if (!group) return undefined;
      const [members, joined, rejected] = await Promise.all([
        repo.members(id),
        repo.joined(id),
        repo.rejected(id),
      ]);
      return { group, members: Object.fromEntries(members), joined, rejected };
    },
    delete(id) {
      return g.changes.run(id, async () => {
        const group = await repo.group(id);
        if (!group) return false;
        const mutations = await repo.deleteMutations(group);
        for (const joined of await repo.joined(id)) {
          mutations.push(...await removedMutations(g, joined.user, id, 800, "Deleted"));
        }
        await g.commit(mutations);
        return true;
      });
    },
  };
}
