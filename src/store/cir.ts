/**
 * The sessions woken by CIR, each under the token of its agreement with what a wake-up needs:
 * read once at start, so that sessions which outlived a restart are woken without a look at the
 * store, and looked up by token when a client asks its SHTTP URL. In shared mode, which instance
 * holds each session's live channel.
 */
import { del, type Mutation, set, type Store } from "./kv.ts";
import type { SessionCir, SessionVersion } from "./sessions.ts";

export interface CirEntry {
  sessionId: string;
  userId: string;
  version: SessionVersion;
  /** The client's SessionCookie, which every WVCI repeats. */
  cookie?: string;
  cir: SessionCir;
}

const entryKey = (token: string) => ["cir", token];
/** Which instance holds a session's live channel (shared mode), by session and by user. */
const holderKey = (sessionId: string) => ["cir_at", "session", sessionId];
const userHolderKey = (userId: string, sessionId: string) => ["cir_at", "user", userId, sessionId];
/** How long a holder record lasts unless the session ends first, ms (a session's longest life). */
const HOLDER_TTL_MS = 7 * 86_400_000;

export class CirRepo {
  constructor(private readonly store: Store) {}

  get(token: string): Promise<CirEntry | undefined> {
    return this.store.get<CirEntry>(entryKey(token));
  }

  /** Records the entry; `replaces` is the token of the session's earlier agreement. */
  put(entry: CirEntry, replaces?: string): Promise<void> {
    const mutations: Mutation[] = [set(entryKey(entry.cir.token), entry)];
    if (replaces !== undefined && replaces !== entry.cir.token) {
      mutations.push(del(entryKey(replaces)));
    }
    return this.store.write(...mutations);
  }

  remove(token: string): Promise<void> {
    return this.store.write(del(entryKey(token)));
  }

  async list(): Promise<CirEntry[]> {
    return (await this.store.list<CirEntry>(["cir"])).map((e) => e.value);
  }

  /** Records that the instance `instance` holds the session's live channel (STCP, WebSocket, a
   * held SHTTP GET): other instances pass it the session's wake-ups. */
  putHolder(sessionId: string, userId: string, instance: string): Promise<void> {
    return this.store.write(
      { type: "set", key: holderKey(sessionId), value: instance, expireIn: HOLDER_TTL_MS },
      {
        type: "set",
        key: userHolderKey(userId, sessionId),
        value: instance,
        expireIn: HOLDER_TTL_MS,
      },
    );
  }

  removeHolder(sessionId: string, userId: string): Promise<void> {
    return this.store.write(del(holderKey(sessionId)), del(userHolderKey(userId, sessionId)));
  }

  /** The instances holding channels of `sessionIds` and of the sessions of `userIds`: instance →
   * its sessions among them. */
  async holders(
    sessionIds: readonly string[],
    userIds: readonly string[],
  ): Promise<Map<string, Set<string>>> {
    const held = new Map<string, Set<string>>();
    const add = (instance: string, sessionId: string) => {
      let sessions = held.get(instance);
      if (!sessions) held.set(instance, sessions = new Set());
      sessions.add(sessionId);
    };
    const [bySession, ...byUser] = await Promise.all([
      this.store.getMany<string>(sessionIds.map(holderKey)),
      ...userIds.map((userId) => this.store.list<string>(["cir_at", "user", userId])),
    ]);
    bySession.forEach((instance, i) => instance !== undefined && add(instance, sessionIds[i]));
    for (const entries of byUser) {
      for (const { key, value } of entries) add(value, String(key[3]));
    }
    return held;
  }
}
