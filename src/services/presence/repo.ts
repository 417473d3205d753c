/**
 * The presence element's storage, all under `["presence", ...]`:
 *
 * - `state, user` → the user's presence (attribute values by name)
 * - `settings, user` → default contact list and default attribute list
 * - `list, owner, list` → a contact list's own data; `contact, owner, list, user` → its entries,
 *   and `member, owner, user, list` the same pairs by contact (whose lists is a watcher in?)
 * - `auth, owner, watcher` → what the owner decided about a watcher (granted, denied, pending)
 * - `watcher, user, watcher` → a subscription, keyed by the watched user so that an update finds
 *   all its watchers with one range read; `watching, watcher, user` the same pairs by watcher
 * - `listener, user, watcher, session` → a live session of a watcher: kept up to date at login,
 *   logout and (un)subscription, so that an update finds the sessions to notify with one range
 *   read instead of one session lookup per watcher.
 */
import { del, type Mutation, set, type Store } from "../../store/kv.ts";
import type { AttributeSelection, PresenceAttributes } from "./attributes.ts";

export interface PresenceRecord {
  attributes: PresenceAttributes;
  updatedAt: number;
}

export interface PresenceSettings {
  defaultList?: string;
  /** The default attribute list: what every watcher without a narrower rule may see. */
  defaultGrant?: readonly string[];
}

export interface ContactListRecord {
  id: string;
  displayName?: string;
  /** The list's attribute list: what its contacts may see. */
  grant?: readonly string[];
  /** Set by a SubscribePresence with AutoSubscribe T: contacts added later are subscribed too. */
  autoSubscribe?: AttributeSelection;
  createdAt: number;
}

export interface Contact {
  userId: string;
  nickName?: string;
}

export type AuthRecord =
  | { state: "granted"; attributes: AttributeSelection; at: number }
  | { state: "denied"; at: number }
  /** The watcher asked and the owner has not answered; `attributes` is what was asked for. */
  | { state: "pending"; attributes: AttributeSelection; at: number };

/** A subscription. `via` says why it exists: "direct" and/or the ids of subscribed lists. */
export interface WatchRecord {
  attributes: AttributeSelection;
  via: string[];
  since: number;
}

export const DIRECT = "direct";

/** Ranges read whole on every update (a user's watchers): fewer, larger KV round trips. */
const BIG_RANGE: Deno.KvListOptions = { batchSize: 1000 };

const stateKey = (user: string) => ["presence", "state", user];
const settingsKey = (user: string) => ["presence", "settings", user];
const listKey = (owner: string, list: string) => ["presence", "list", owner, list];
const contactKey = (owner: string, list: string, user: string) => [
  "presence",
  "contact",
  owner,
  list,
  user,
];
const memberKey = (owner: string, user: string, list: string) => [
  "presence",
  "member",
  owner,
  user,
  list,
];
const authKey = (owner: string, watcher: string) => ["presence", "auth", owner, watcher];
const watchKey = (user: string, watcher: string) => ["presence", "watcher", user, watcher];
const watchingKey = (watcher: string, user: string) => ["presence", "watching", watcher, user];
const listenerKey = (user: string, watcher: string, session: string) => [
  "presence",
  "listener",
  user,
  watcher,
  session,
];

export class PresenceRepo {
  constructor(readonly store: Store) {}

  async presence(user: string): Promise<PresenceAttributes> {
    return (await this.store.get<PresenceRecord>(stateKey(user)))?.attributes ?? {};
  }

  setPresence(user: string, attributes: PresenceAttributes): Mutation {
    return set(stateKey(user), { attributes, updatedAt: Date.now() } satisfies PresenceRecord);
  }

  async settings(user: string): Promise<PresenceSettings> {
    return await this.store.get<PresenceSettings>(settingsKey(user)) ?? {};
  }

  setSettings(user: string, settings: PresenceSettings): Mutation {
    return set(settingsKey(user), settings);
  }

  async list(owner: string, list: string): Promise<ContactListRecord | undefined> {
    return await this.store.get<ContactListRecord>(listKey(owner, list));
  }

  async lists(owner: string): Promise<ContactListRecord[]> {
    return (await this.store.list<ContactListRecord>(["presence", "list", owner])).map((e) =>
      e.value
    );
  }

  setList(owner: string, record: ContactListRecord): Mutation {
    return set(listKey(owner, record.id), record);
  }

  deleteList(owner: string, list: string): Mutation {
    return del(listKey(owner, list));
  }

  async contacts(owner: string, list: string): Promise<Contact[]> {
    return (await this.store.list<Contact>(["presence", "contact", owner, list])).map((e) =>
      e.value
    );
  }

  addContact(owner: string, list: string, contact: Contact): Mutation[] {
    return [
      set(contactKey(owner, list, contact.userId), contact),
      set(memberKey(owner, contact.userId, list), true),
    ];
  }

  removeContact(owner: string, list: string, user: string): Mutation[] {
    return [del(contactKey(owner, list, user)), del(memberKey(owner, user, list))];
  }

  /** Every (contact, list) pair of the owner's lists, for deciding many watchers at once. */
  async memberships(owner: string): Promise<{ user: string; list: string }[]> {
    return (await this.store.list<boolean>(["presence", "member", owner])).map((e) => ({
      user: String(e.key[3]),
      list: String(e.key[4]),
    }));
  }

  async listsContaining(owner: string, user: string): Promise<string[]> {
    return (await this.store.list<boolean>(["presence", "member", owner, user])).map((e) =>
      String(e.key[4])
    );
  }

  async auth(owner: string, watcher: string): Promise<AuthRecord | undefined> {
    return await this.store.get<AuthRecord>(authKey(owner, watcher));
  }

  async auths(owner: string): Promise<Map<string, AuthRecord>> {
    const entries = await this.store.list<AuthRecord>(["presence", "auth", owner]);
    return new Map(entries.map((e) => [String(e.key[3]), e.value]));
  }

  setAuth(owner: string, watcher: string, record: AuthRecord): Mutation {
    return set(authKey(owner, watcher), record);
  }

  deleteAuth(owner: string, watcher: string): Mutation {
    return del(authKey(owner, watcher));
  }

  async watch(user: string, watcher: string): Promise<WatchRecord | undefined> {
    return await this.store.get<WatchRecord>(watchKey(user, watcher));
  }

  /** Everyone subscribed to `user`, with their subscriptions. */
  async watchers(user: string): Promise<Map<string, WatchRecord>> {
    const entries = await this.store.list<WatchRecord>(["presence", "watcher", user], BIG_RANGE);
    return new Map(entries.map((e) => [String(e.key[3]), e.value]));
  }

  setWatch(user: string, watcher: string, record: WatchRecord): Mutation[] {
    return [set(watchKey(user, watcher), record), set(watchingKey(watcher, user), true)];
  }

  /** Ends a subscription, with the live-session entries that went with it. */
  async deleteWatch(user: string, watcher: string): Promise<Mutation[]> {
    const sessions = await this.store.list<boolean>(["presence", "listener", user, watcher]);
    return [
      del(watchKey(user, watcher)),
      del(watchingKey(watcher, user)),
      ...sessions.map((e) => del(e.key)),
    ];
  }

  /** The users `watcher` is subscribed to. */
  async watching(watcher: string): Promise<string[]> {
    return (await this.store.list<boolean>(["presence", "watching", watcher])).map((e) =>
      String(e.key[3])
    );
  }

  /** The live sessions of every watcher of `user`. */
  async listeners(user: string): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    for (const e of await this.store.list<boolean>(["presence", "listener", user], BIG_RANGE)) {
      const watcher = String(e.key[3]);
      const sessions = out.get(watcher);
      if (sessions) sessions.push(String(e.key[4]));
      else out.set(watcher, [String(e.key[4])]);
    }
    return out;
  }

  addListener(user: string, watcher: string, session: string): Mutation {
    return set(listenerKey(user, watcher, session), true);
  }

  removeListener(user: string, watcher: string, session: string): Mutation {
    return del(listenerKey(user, watcher, session));
  }
}
