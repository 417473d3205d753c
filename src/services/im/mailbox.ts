/**
 * Each user's mailbox: the messages waiting for them (until delivered, rejected, forwarded or
 * expired), the delivery reports waiting for them, a memory of what left it lately (so a retried
 * MessageDelivered is answered alike), and each session's delivery preferences.
 * Messages belong to the user, not to a session: every new login picks up what is still here.
 * A message's record holds its content; records written by earlier versions have theirs under a
 * key of its own, still read (and deleted with the message) for them.
 */
import { check, del, type Kept, type Mutation, set, type Store } from "../../store/kv.ts";
import { RECENT_MS } from "./limits.ts";
import type {
  DeliveryPrefs,
  MailboxStorage,
  MailboxUse,
  StoredMessage,
  StoredReport,
} from "./storage.ts";
import { PENDING, StoredCounts, TrackedCounts, type WaitingCounts } from "./waiting_counts.ts";

const pendingKey = (user: string, id: string) => [...PENDING, user, id];
/** Where records of earlier versions keep their content (see `StoredMessage.content`). */
const contentKey = (user: string, id: string) => ["im", "content", user, id];
const reportKey = (owner: string, messageId: string, recipient: string) => [
  "im",
  "report",
  owner,
  messageId,
  recipient,
];
const prefsKey = (sessionId: string) => ["im", "prefs", sessionId];
/** A message that left a mailbox lately, on a store in shared mode (see GONE_KEPT_MS). */
const goneKey = (user: string, id: string) => ["im", "gone", user, id];

/**
 * Messages that left a mailbox lately, remembered (in memory) so that a retried MessageDelivered
 * is answered 200 again; a repeat after a restart, or once this many later messages left, is
 * answered 426 like an unknown id. Retries come within seconds; a record per disposal in KV would
 * cost a write per message.
 */
const GONE_REMEMBERED = 50_000;
/** How long a message that left a mailbox is remembered in KV on a store in shared mode, where
 * the retry may reach another instance: one more mutation of the disposal's commit. */
const GONE_KEPT_MS = 10 * 60_000;

/** The mailbox storage over Deno KV. */
export class MailboxRepo implements MailboxStorage {
  /** How many messages wait per user: kept with every store and disposal, so a send learns
   * whether there is room without listing the mailbox. */
  readonly #counts: WaitingCounts;

  /** MessageIDs of the messages that left lately, and whose mailbox they left (users joined by a
   * line feed, for the copies of a message to several). */
  readonly #gone = new Map<string, string>();
  /** The same MessageIDs, in the order they left: the oldest is forgotten first. */
  readonly #goneOrder: string[] = [];
  #goneNext = 0;

  constructor(private readonly store: Store) {
    this.#counts = store.exclusive ? new TrackedCounts(store) : new StoredCounts(store);
    store.commits.onCommit((mutations) => this.#noteGone(mutations));
  }

  #noteGone(mutations: readonly Mutation[]): void {
    for (const m of mutations) {
      const key = m.key;
      if (m.type !== "delete" || key.length !== 4 || key[0] !== PENDING[0]) continue;
      if (key[1] !== PENDING[1]) continue;
      const user = key[2] as string, id = key[3] as string;
      const earlier = this.#gone.get(id);
      if (earlier !== undefined) {
        this.#gone.set(id, `${earlier}\n${user}`);
        continue;
      }
      if (this.#goneOrder.length < GONE_REMEMBERED) this.#goneOrder.push(id);
      else {
        this.#gone.delete(this.#goneOrder[this.#goneNext]);
        this.#goneOrder[this.#goneNext] = id;
        this.#goneNext = (this.#goneNext + 1) % GONE_REMEMBERED;
      }
      this.#gone.set(id, user);
    }
  }

  pending(user: string, limit?: number): Promise<Kept<StoredMessage>[]> {
    return this.store.list<StoredMessage>([...PENDING, user], { limit });
  }

  message(user: string, id: string): Promise<Kept<StoredMessage> | undefined> {
    return this.store.getEntry<StoredMessage>(pendingKey(user, id));
  }

  count(user: string): Promise<number> {
    return this.#counts.count(user);
  }

  use(user: string, sender: string): Promise<MailboxUse> {
    return this.#counts.use(user, sender);
  }

  async content(message: StoredMessage): Promise<string> {
    if (message.content !== undefined) return message.content;
    return await this.store.get<string>(contentKey(message.recipient, message.id)) ?? "";
  }

  async leftLately(user: string, id: string): Promise<boolean> {
    const users = this.#gone.get(id);
    if (users !== undefined && (users === user || users.split("\n").includes(user))) return true;
    return !this.store.exclusive && await this.store.get<true>(goneKey(user, id)) === true;
  }

  storeMutations(message: StoredMessage & { content: string }): Mutation[] {
    return [
      set(pendingKey(message.recipient, message.id), message),
      ...this.#counts.change(message, 1),
    ];
  }

  disposeMutations({ value: message, versionstamp }: Kept<StoredMessage>): Mutation[] {
    const key = pendingKey(message.recipient, message.id);
    const mutations: Mutation[] = [
      check(key, versionstamp),
      ...this.#counts.change(message, -1),
      del(key),
    ];
    // Only a record of an earlier version has its content under a key of its own.
    if (message.content === undefined) {
      mutations.push(del(contentKey(message.recipient, message.id)));
    }
    if (!this.store.exclusive) {
      mutations.push({
        type: "set",
        key: goneKey(message.recipient, message.id),
        value: true,
        expireIn: GONE_KEPT_MS,
      });
    }
    return mutations;
  }

  async reports(owner: string): Promise<StoredReport[]> {
    return (await this.store.list<StoredReport>(["im", "report", owner])).map((e) => e.value);
  }

  reportMutation(report: StoredReport): Mutation {
    return set(reportKey(report.owner, report.messageId, report.recipient), report);
  }

  reportRemoval(owner: string, messageId: string, recipient: string): Mutation {
    return del(reportKey(owner, messageId, recipient));
  }

  prefs(sessionId: string): Promise<DeliveryPrefs | undefined> {
    return this.store.getServerOwned<DeliveryPrefs>(prefsKey(sessionId), RECENT_MS);
  }

  async prefsOf(sessionIds: readonly string[]): Promise<Map<string, DeliveryPrefs | undefined>> {
    const prefs = await Promise.all(sessionIds.map((id) => this.prefs(id)));
    return new Map(sessionIds.map((id, i) => [id, prefs[i]]));
  }

  async setPrefs(sessionId: string, prefs: DeliveryPrefs): Promise<void> {
    await this.store.write(set(prefsKey(sessionId), prefs));
  }

  async clearPrefs(sessionId: string): Promise<void> {
    await this.store.write(del(prefsKey(sessionId)));
  }
}
