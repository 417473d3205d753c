/**
 * What the group element keeps, declared for its handlers: each group's record, its explicit
 * members with their roles, the users joined at the moment with their screen names, its reject
 * list and each user's own properties, and by user the groups owned, joined and rejoined at login.
 * `repo.ts` keeps it in Deno KV; methods that change it return mutations, which the primitives
 * commit together with the notices they cause (through the store's commit path).
 */
import type { Mutation } from "../../store/kv.ts";
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

/** The group element's storage, as its primitives use it. */
export interface GroupStorage {
  group(id: string): Promise<GroupRecord | undefined>;

  allGroups(): Promise<GroupRecord[]>;

  putGroup(group: GroupRecord): Mutation;

  ownedBy(user: string): Promise<string[]>;

  createMutations(group: GroupRecord): Mutation[];

  /** Everything of the group, and every index entry pointing at it. */
  deleteMutations(group: GroupRecord): Promise<Mutation[]>;

  role(id: string, user: string): Promise<Role | undefined>;

  /** Explicit members and their roles. */
  members(id: string): Promise<Map<string, Role>>;

  setRole(id: string, user: string, role: Role): Mutation;

  removeMember(id: string, user: string): Mutation;

  joinedRecord(id: string, user: string): Promise<JoinedRecord | undefined>;

  joined(id: string): Promise<JoinedRecord[]>;

  /** Who holds a screen name in the group, if anyone. */
  screenNameHolder(id: string, name: string): Promise<string | undefined>;

  joinMutations(id: string, record: JoinedRecord): Mutation[];

  updateJoined(id: string, record: JoinedRecord): Mutation;

  leaveMutations(id: string, record: JoinedRecord): Mutation[];

  /** The groups a user is joined to. */
  joinedBy(user: string): Promise<string[]>;

  isRejected(id: string, user: string): Promise<boolean>;

  rejected(id: string): Promise<string[]>;

  reject(id: string, user: string): Mutation;

  unreject(id: string, user: string): Mutation;

  own(id: string, user: string): Promise<PropertyValues>;

  /** Own properties; AutoJoin T also keeps the screen name to rejoin with at the next login. */
  ownMutations(id: string, user: string, own: PropertyValues, screenName?: string): Mutation[];

  /** Groups `user` rejoins at login, with the screen name to use. */
  autoJoins(user: string): Promise<{ groupId: string; screenName: string }[]>;
}
