/**
 * What the presence element keeps, declared for its handlers: each user's presence, contact lists
 * and their entries, authorizations of watchers, subscriptions, the history GetWatcherList reports,
 * and the live sessions of each user's watchers that an update notifies. `repo.ts` keeps it in
 * Deno KV; methods that change it return mutations, which the element commits together with the
 * notifications they cause (through the store's commit path).
 */
import type { Kept, Mutation } from "../../store/kv.ts";
import type { AttributeSelection, PresenceAttributes } from "./attributes.ts";

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

export interface Watched {
  watcher: string;
  at: number;
}

/** A watcher's live session, as an update needs it. */
export interface ListenerRecord {
  /** What the watcher subscribed to (a copy of its WatchRecord's). */
  attributes: AttributeSelection;
  /** The outbox sequence of the last notification queued for this session, replaced (deleted)
   * by the next one: notifications coalesce without reading the outbox. Absent: the sequence of
   * the user's last broad fan-out (`lastFanOut`), so that an update reaching most watchers
   * writes no listener record. */
  pending?: string;
}

export interface Listener {
  watcher: string;
  session: string;
  record: ListenerRecord;
}

/** The presence element's storage, as its handlers use it. */
export interface PresenceStorage {
  presence(user: string): Promise<PresenceAttributes>;

  /**
   * Applies `change` to the stored presence in the store's checked commit, read again and retried
   * when another writer came first, so two updates at once both land. `change` answering
   * undefined leaves the presence alone. Bounded by LIMITS.presenceChangeAttempts (then 503).
   */
  changePresence(
    user: string,
    change: (current: PresenceAttributes) => PresenceAttributes | undefined,
  ): Promise<PresenceAttributes | undefined>;

  settings(user: string): Promise<PresenceSettings>;

  setSettings(user: string, settings: PresenceSettings): Mutation;

  list(owner: string, list: string): Promise<ContactListRecord | undefined>;

  lists(owner: string): Promise<ContactListRecord[]>;

  setList(owner: string, record: ContactListRecord): Mutation;

  deleteList(owner: string, list: string): Mutation;

  contacts(owner: string, list: string): Promise<Contact[]>;

  addContact(owner: string, list: string, contact: Contact): Mutation[];

  removeContact(owner: string, list: string, user: string): Mutation[];

  /** Every (contact, list) pair of the owner's lists, for deciding many watchers at once. */
  memberships(owner: string): Promise<{ user: string; list: string }[]>;

  listsContaining(owner: string, user: string): Promise<string[]>;

  auth(owner: string, watcher: string): Promise<AuthRecord | undefined>;

  auths(owner: string): Promise<Map<string, AuthRecord>>;

  /** The owner's decision about a watcher with the version read, for a write that holds only
   * while the decision is unchanged (`authUnchanged`). */
  authEntry(owner: string, watcher: string): Promise<Kept<AuthRecord> | undefined>;

  /** Holds a write back unless the decision still has `versionstamp` (null: none was made). */
  authUnchanged(owner: string, watcher: string, versionstamp: string | null): Mutation;

  setAuth(owner: string, watcher: string, record: AuthRecord): Mutation;

  deleteAuth(owner: string, watcher: string): Mutation;

  watch(user: string, watcher: string): Promise<WatchRecord | undefined>;

  /** Everyone subscribed to `user`, with their subscriptions. */
  watchers(user: string): Promise<Map<string, WatchRecord>>;

  setWatch(user: string, watcher: string, record: WatchRecord): Mutation[];

  /** Ends a subscription, with the live-session entries that went with it; the watcher is
   * remembered as a former one for GetWatcherList's history. */
  deleteWatch(user: string, watcher: string): Promise<Mutation[]>;

  /** Notes that `watcher` saw some of `user`'s presence without subscribing (GetPresence). */
  presenceAccess(user: string, watcher: string): Mutation;

  /** Former subscribers and those who read the presence, with when, since `since`. */
  history(user: string, since: number): Promise<{ former: Watched[]; access: Watched[] }>;

  /** The users `watcher` is subscribed to, with the attributes subscribed to. */
  watching(watcher: string): Promise<Map<string, AttributeSelection>>;

  /** The live sessions of every watcher of `user`. */
  listeners(user: string): Promise<Listener[]>;

  /** The live sessions of one watcher of `user`. */
  listenersOf(user: string, watcher: string): Promise<Listener[]>;

  /** The sequence of `user`'s last broad fan-out: the notification of every listener record
   * without a `pending` of its own. */
  lastFanOut(user: string): Promise<string | undefined>;

  setLastFanOut(user: string, seq: string): Mutation;

  setListener(user: string, listener: Listener): Mutation;

  removeListener(user: string, watcher: string, session: string): Mutation;
}
