/**
 * The group storage of `storage.ts` in Deno KV, under `["group", ...]`: `info`, `member`,
 * `joined`, `sname` (screen names, case-insensitively), `reject` and `own` by group, and by user
 * `owned`, `user_joined` and `autojoin`.
 */
import { del, type Mutation, set, type Store } from "../../store/kv.ts";
import type { PropertyValues, Role } from "./properties.ts";
import type { GroupRecord, GroupStorage, JoinedRecord } from "./storage.ts";

const groupKey = (id: string) => ["group", "info", id];
const memberKey = (id: string, user: string) => ["group", "member", id, user];
const joinedKey = (id: string, user: string) => ["group", "joined", id, user];
/** Screen names are unique per group, case-insensitively. */
const screenNameKey = (id: string, name: string) => ["group", "sname", id, name.toLowerCase()];
const rejectKey = (id: string, user: string) => ["group", "reject", id, user];
const ownKey = (id: string, user: string) => ["group", "own", id, user];
const ownedKey = (user: string, id: string) => ["group", "owned", user, id];
const userJoinedKey = (user: string, id: string) => ["group", "user_joined", user, id];
const autoJoinKey = (user: string, id: string) => ["group", "autojoin", user, id];

const lastPart = (key: Deno.KvKey) => String(key[key.length - 1]);

/** The group storage over Deno KV, in the keys above. */
export class GroupRepo implements GroupStorage {
  constructor(private readonly store: Store) {}

  group(id: string): Promise<GroupRecord | undefined> {
    return this.store.get<GroupRecord>(groupKey(id));
  }

  async allGroups(): Promise<GroupRecord[]> {
    return (await this.store.list<GroupRecord>(["group", "info"])).map((e) => e.value);
  }

  putGroup(group: GroupRecord): Mutation {
    return set(groupKey(group.id), group);
  }

  async ownedBy(user: string): Promise<string[]> {
    return (await this.store.list(["group", "owned", user])).map((e) => lastPart(e.key));
  }

  createMutations(group: GroupRecord): Mutation[] {
    return [
      this.putGroup(group),
      set(ownedKey(group.owner, group.id), true),
      set(memberKey(group.id, group.owner), "Admin" satisfies Role),
    ];
  }

  async deleteMutations(group: GroupRecord): Promise<Mutation[]> {
    const mutations = [del(groupKey(group.id)), del(ownedKey(group.owner, group.id))];
    for (const kind of ["member", "joined", "sname", "reject", "own"]) {
      for (const e of await this.store.list(["group", kind, group.id])) {
        mutations.push(del(e.key));
        if (kind === "joined") mutations.push(del(userJoinedKey(lastPart(e.key), group.id)));
        if (kind === "own") mutations.push(del(autoJoinKey(lastPart(e.key), group.id)));
      }
    }
    return mutations;
  }

  role(id: string, user: string): Promise<Role | undefined> {
    return this.store.get<Role>(memberKey(id, user));
  }

  async members(id: string): Promise<Map<string, Role>> {
    const entries = await this.store.list<Role>(["group", "member", id]);
    return new Map(entries.map((e) => [lastPart(e.key), e.value]));
  }

  setRole(id: string, user: string, role: Role): Mutation {
    return set(memberKey(id, user), role);
  }

  removeMember(id: string, user: string): Mutation {
    return del(memberKey(id, user));
  }

  joinedRecord(id: string, user: string): Promise<JoinedRecord | undefined> {
    return this.store.get<JoinedRecord>(joinedKey(id, user));
  }

  async joined(id: string): Promise<JoinedRecord[]> {
    return (await this.store.list<JoinedRecord>(["group", "joined", id])).map((e) => e.value);
  }

  screenNameHolder(id: string, name: string): Promise<string | undefined> {
    return this.store.get<string>(screenNameKey(id, name));
  }

  joinMutations(id: string, record: JoinedRecord): Mutation[] {
    return [
      set(joinedKey(id, record.user), record),
      set(screenNameKey(id, record.screenName), record.user),
      set(userJoinedKey(record.user, id), record.screenName),
    ];
  }

  updateJoined(id: string, record: JoinedRecord): Mutation {
    return set(joinedKey(id, record.user), record);
  }

  leaveMutations(id: string, record: JoinedRecord): Mutation[] {
    return [
      del(joinedKey(id, record.user)),
      del(screenNameKey(id, record.screenName)),
      del(userJoinedKey(record.user, id)),
    ];
  }

  async joinedBy(user: string): Promise<string[]> {
    return (await this.store.list(["group", "user_joined", user])).map((e) => lastPart(e.key));
  }

  async isRejected(id: string, user: string): Promise<boolean> {
    return await this.store.get(rejectKey(id, user)) !== undefined;
  }

  async rejected(id: string): Promise<string[]> {
    return (await this.store.list(["group", "reject", id])).map((e) => lastPart(e.key));
  }

  reject(id: string, user: string): Mutation {
    return set(rejectKey(id, user), { at: Date.now() });
  }

  unreject(id: string, user: string): Mutation {
    return del(rejectKey(id, user));
  }

  async own(id: string, user: string): Promise<PropertyValues> {
    return await this.store.get<PropertyValues>(ownKey(id, user)) ?? {};
  }

  ownMutations(id: string, user: string, own: PropertyValues, screenName?: string): Mutation[] {
    const mutations = [set(ownKey(id, user), own)];
    if (own.AutoJoin === "T" && screenName !== undefined) {
      mutations.push(set(autoJoinKey(user, id), screenName));
    } else if (own.AutoJoin !== "T") mutations.push(del(autoJoinKey(user, id)));
    return mutations;
  }

  async autoJoins(user: string): Promise<{ groupId: string; screenName: string }[]> {
    const entries = await this.store.list<string>(["group", "autojoin", user]);
    return entries.map((e) => ({ groupId: lastPart(e.key), screenName: e.value }));
  }
}
