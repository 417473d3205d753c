/**
 * The presence storage of `storage.ts` in Deno KV, all under `["presence", ...]`:
 *
 * - `state, user` → the user's presence (attribute values by name)
 * - `settings, user` → default contact list and default attribute list
 * - `list, owner, list` → a contact list's own data; `contact, owner, list, user` → its entries,
 *   and `member, owner, user, list` the same pairs by contact (whose lists is a watcher in?)
 * - `auth, owner, watcher` → what the owner decided about a watcher (granted, denied, pending)
 * - `watcher, user, watcher` → a subscription, keyed by the watched user; `watching, watcher,
 *   user` the same pairs by watcher, with the attributes subscribed to (for a new session's
 *   listener records)
 * - `former, user, watcher` and `access, user, watcher` → when a watcher unsubscribed, and when
 *   a user last read the presence with GetPresence, for GetWatcherList's HistoryPeriod (expiring)
 * - `fanout, user` → the outbox sequence of the user's last notification to most listeners
 * - `listener, user, watcher, session` → a live session of a watcher, with what that watcher
 *   subscribed to and the last notification queued for it: kept up to date at login, logout and
 *   (un)subscription, so that an update finds everything it needs to notify with one range read
 *   (no session lookup, no subscription read, no coalescing read per watcher).
 */
import {
  check,
  CommitConflict,
  del,
  type Kept,
  type Mutation,
  set,
  type Store,
} from "../../store/kv.ts";
import type { AttributeSelection, PresenceAttributes } from "./attributes.ts";
import { LIMITS } from "./limits.ts";
import { ProtocolError } from "../../session/status.ts";
import {
  type AuthRecord,
  type Contact,
  type ContactListRecord,
  type Listener,
  type ListenerRecord,
  type PresenceSettings,
  type PresenceStorage,
  type Watched,
  type WatchRecord,
} from "./storage.ts";

export interface PresenceRecord {
  attributes: PresenceAttributes;
  updatedAt: number;
}

/** When a watcher stopped watching, or last read the presence (GetWatcherList history). */
interface HistoryRecord {
  at: number;
}

/** A history entry, dropped by KV once it is older than any HistoryPeriod answered. */
const remembered = (key: Deno.KvKey, value: HistoryRecord): Mutation => ({
  type: "set",
  key,
  value,
  expireIn: LIMITS.historySeconds * 1000,
});

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
const fanOutKey = (user: string) => ["presence", "fanout", user];
const formerKey = (user: string, watcher: string) => ["presence", "former", user, watcher];
const accessKey = (user: string, watcher: string) => ["presence", "access", user, watcher];
const watchingKey = (watcher: string, user: string) => ["presence", "watching", watcher, user];
const listenerKey = (user: string, watcher: string, session: string) => [
  "presence",
  "listener",
  user,
  watcher,
  session,
];

/** The presence storage over Deno KV, in the keys above. */
export class PresenceRepo implements PresenceStorage {
  constructor(readonly store: Store) {}

  async presence(user: string): Promise<PresenceAttributes> {
    return (await this.store.get<PresenceRecord>(stateKey(user)))?.attributes ?? {};
  }

  async changePresence(
    user: string,
    change: (current: PresenceAttributes) => PresenceAttributes | undefined,
  ): Promise<PresenceAttributes | undefined> {
    try {
      const record = await this.store.update<PresenceRecord>(stateKey(user), (current) => {
        const next = change(current?.attributes ?? {});
        return next && { attributes: next, updatedAt: Date.now() };
      }, LIMITS.presenceChangeAttempts);
      return record?.attributes;
    } catch (error) {
      if (!(error instanceof CommitConflict)) throw error;
      throw new ProtocolError(503, "Presence is changing too fast; try again");
    }
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

  authEntry(owner: string, watcher: string): Promise<Kept<AuthRecord> | undefined> {
    return this.store.getEntry<AuthRecord>(authKey(owner, watcher));
  }

  authUnchanged(owner: string, watcher: string, versionstamp: string | null): Mutation {
    return check(authKey(owner, watcher), versionstamp);
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

  async watchers(user: string): Promise<Map<string, WatchRecord>> {
    const entries = await this.store.list<WatchRecord>(["presence", "watcher", user], BIG_RANGE);
    return new Map(entries.map((e) => [String(e.key[3]), e.value]));
  }

  setWatch(user: string, watcher: string, record: WatchRecord): Mutation[] {
    return [
      set(watchKey(user, watcher), record),
      set(watchingKey(watcher, user), record.attributes),
    ];
  }

  async deleteWatch(user: string, watcher: string): Promise<Mutation[]> {
    const sessions = await this.store.list<ListenerRecord>(["presence", "listener", user, watcher]);
    return [
      del(watchKey(user, watcher)),
      del(watchingKey(watcher, user)),
      ...sessions.map((e) => del(e.key)),
      remembered(formerKey(user, watcher), { at: Date.now() } satisfies HistoryRecord),
    ];
  }

  presenceAccess(user: string, watcher: string): Mutation {
    return remembered(accessKey(user, watcher), { at: Date.now() } satisfies HistoryRecord);
  }

  async history(user: string, since: number): Promise<{ former: Watched[]; access: Watched[] }> {
    const [former, access] = await Promise.all([
      this.store.list<HistoryRecord>(["presence", "former", user]),
      this.store.list<HistoryRecord>(["presence", "access", user]),
    ]);
    const recent = (entries: { key: Deno.KvKey; value: HistoryRecord }[]) =>
      entries.filter((e) => e.value.at >= since).map((e) => ({
        watcher: String(e.key[3]),
        at: e.value.at,
      }));
    return { former: recent(former), access: recent(access) };
  }

  async watching(watcher: string): Promise<Map<string, AttributeSelection>> {
    const entries = await this.store.list<AttributeSelection>(["presence", "watching", watcher]);
    return new Map(entries.map((e) => [String(e.key[3]), e.value]));
  }

  async listeners(user: string): Promise<Listener[]> {
    return toListeners(
      await this.store.list<ListenerRecord>(["presence", "listener", user], BIG_RANGE),
    );
  }

  async listenersOf(user: string, watcher: string): Promise<Listener[]> {
    return toListeners(
      await this.store.list<ListenerRecord>(["presence", "listener", user, watcher]),
    );
  }

  async lastFanOut(user: string): Promise<string | undefined> {
    return await this.store.get<string>(fanOutKey(user));
  }

  setLastFanOut(user: string, seq: string): Mutation {
    return set(fanOutKey(user), seq);
  }

  setListener(user: string, listener: Listener): Mutation {
    return set(listenerKey(user, listener.watcher, listener.session), listener.record);
  }

  removeListener(user: string, watcher: string, session: string): Mutation {
    return del(listenerKey(user, watcher, session));
  }
}

function toListeners(entries: { key: Deno.KvKey; value: ListenerRecord }[]): Listener[] {
  return entries.map((e) => ({
    watcher: String(e.key[3]),
    session: String(e.key[4]),
    record: e.value,
  }));
}
