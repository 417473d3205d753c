/**
 * The group element's storage (key space `["group", ...]`): each group's record, its explicit
 * members with their roles, the users joined at the moment with their screen names, its reject
 * list and each user's own properties, plus indexes by user (groups owned, joined, auto-joined).
 * Methods return mutations; the primitives commit them together with the notices they cause.
 */
import { del, type Mutation, set, type Store } from "../../store/kv.ts";
import type { PropertyValues, Role, WelcomeNote } from "./properties.ts";

export interface GroupRecord {
  id: string;
  /** The creator's UserID: always an Admin, the only one who may delete the group. */
  owner: string;
  createdAt: number;
  properties: PropertyValues;
  welcomeNote?: WelcomeNote;
}

export interface JoinedRecord {
  user: string;
  screenName: string;
  /** Wants GroupChangeNotice (SubscribeNotification / SubscribeGroupNotice). */
  subscribed: boolean;
  joinedAt: number;
}

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

export class GroupRepo {
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

  /** Everything of the group, and every index entry pointing at it. */
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

  /** Explicit members and their roles. */
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

  /** Who holds a screen name in the group, if anyone. */
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

  /** The groups a user is joined to. */
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

  /** Own properties; AutoJoin T also keeps the screen name to rejoin with at the next login. */
  ownMutations(id: string, user: string, own: PropertyValues, screenName?: string): Mutation[] {
    const mutations = [set(ownKey(id, user), own)];
    if (own.AutoJoin === "T" && screenName !== undefined) {
      mutations.push(set(autoJoinKey(user, id), screenName));
    } else if (own.AutoJoin !== "T") mutations.push(del(autoJoinKey(user, id)));
    return mutations;
  }

  /** Groups `user` rejoins at login, with the screen name to use. */
  async autoJoins(user: string): Promise<{ groupId: string; screenName: string }[]> {
    const entries = await this.store.list<string>(["group", "autojoin", user]);
    return entries.map((e) => ({ groupId: lastPart(e.key), screenName: e.value }));
  }
}

/** Group changes run one at a time per group (keyed by its id), so two joins cannot take the
 * same screen name nor both pass MaxActiveUsers. */
export { serialised } from "../../store/serialised.ts";
