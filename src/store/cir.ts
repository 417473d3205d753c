/**
 * The sessions woken by CIR, each under the token of its agreement with what a wake-up needs:
 * read once at start, so that sessions which outlived a restart are woken without a look at the
 * store, and looked up by token when a client asks its SHTTP URL.
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
}
