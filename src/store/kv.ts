/**
 * The storage root: the Deno KV connections and the commit grouper every repository writes
 * through. Repositories (users, sessions, outbox, and each service element's own) sit on top of
 * it and know their own key spaces. The connections stay inside: every write goes through the
 * grouper (`write`, `writeAll`, `update` for a checked read-and-change), every read through the
 * reads here.
 */
import { CommitConflict, CommitGrouper, comparable, keyText, type Mutation } from "./commit.ts";
import { traced, tracing } from "../observe/tracing.ts";

export { CommitConflict };
export type { Mutation };

/** Deno KV answers at most this many keys in one getMany. */
const GET_MANY_LIMIT = 10;
/** Values kept by getRecent at most; past it the cache starts over rather than grow. */
const RECENT_MAX = 50_000;
/** Mutations per write of writeAll: two writes fill one KV commit (at most 1000 mutations). */
const WRITE_ALL_CHUNK = 500;

/** IMPS_DATA naming the runtime's own database: `Deno.openKv()` without a path, which is the
 * deployment's KV on Deno Deploy (elsewhere a file Deno keeps in its own directory). */
export const PLATFORM_STORE = "deno-kv:default";

/** Whether IMPS_DATA names a store of several instances at once: a KV Connect URL, or the
 * platform's (on Deno Deploy, every isolate of the deployment opens it). */
export const isSharedStore = (path: string) => path === PLATFORM_STORE || /^https?:\/\//.test(path);

/** Whether IMPS_DATA names a KV file (not `:memory:`, a URL or the platform's store). */
export const isKvFile = (path: string) => path !== ":memory:" && !isSharedStore(path);

/** What a server holds while it uses a KV file (its lock, see lock.ts). */
export interface Held {
  close(): void;
}

/** A value as stored, with the versionstamp of the commit that wrote it (what a check names). */
export interface Kept<T> {
  value: T;
  versionstamp: string;
}

interface PendingRead {
  key: Deno.KvKey;
  resolve: (entry: Kept<unknown> | undefined) => void;
  reject: (error: unknown) => void;
}

interface RecentValue {
  value: unknown;
  /** When it was read or written, ms. */
  at: number;
}

const kept = <T>(entry: Deno.KvEntryMaybe<T>): Kept<T> | undefined =>
  entry.versionstamp === null
    ? undefined
    : { value: entry.value, versionstamp: entry.versionstamp };

export class Store {
  readonly commits: CommitGrouper;
  #reads: PendingRead[] = [];
  /** getRecent's values by key text, kept in step with every commit made here. */
  #recent = new Map<string, RecentValue>();
  /** getRecent reads in flight by key text: a commit touching the key while any is in flight
   * makes them all unfit to keep (they may have read what it replaced). */
  #recentReads = new Map<string, { pending: number; stale: boolean }>();
  /** The key families (first two parts) getRecent was asked for: a commit's other keys (queue
   * entries, messages) are passed over without building their text. */
  #recentFamilies = new Map<Deno.KvKeyPart, Set<Deno.KvKeyPart>>();

  /** The connection every commit goes through. */
  readonly #kv: Deno.Kv;
  /**
   * A second connection to the same database, for reads. The embedded store serves each
   * connection on one thread, so reads on the writer's connection queue behind every commit's
   * fsync; here they run beside it (SQLite WAL). A read started after a commit resolved sees it.
   * For `:memory:` and a remote KV it is the same connection.
   */
  readonly #reader: Deno.Kv;
  /** The server's lock on the KV file (see lock.ts), released by close. */
  readonly #lock?: Held;

  private constructor(
    kv: Deno.Kv,
    /**
     * Whether this process is the only server using the store: true for a file or `:memory:`
     * (one server process per KV file); false in shared mode (a KV file opened with `shared`, a
     * remote KV, the platform's), where other instances commit too. Then nothing is believed
     * from memory: caches and range views read the store at each look.
     */
    readonly exclusive: boolean,
    reader: Deno.Kv,
    lock?: Held,
  ) {
    this.#kv = kv;
    this.#reader = reader;
    this.#lock = lock;
    this.commits = new CommitGrouper(kv);
    this.commits.onCommit((mutations) => this.#followRecent(mutations));
  }

  /**
   * Opens (creating its directory if needed) the KV database at `path`, `:memory:`, a remote KV
   * shared by several instances by its URL (KV Connect), or the platform's (PLATFORM_STORE).
   * With `lock`, a KV file is locked for this process until close (a server; StoreInUse when
   * another holds it); with `shared` too, beside other servers in shared mode, which opens the
   * file in shared mode.
   */
  static async open(
    path: string,
    options: { lock?: boolean; shared?: boolean } = {},
  ): Promise<Store> {
    if (path === ":memory:") {
      const kv = await Deno.openKv(path);
      return new Store(kv, true, kv);
    }
    if (isSharedStore(path)) {
      const kv = await (path === PLATFORM_STORE ? Deno.openKv() : Deno.openKv(path));
      return new Store(kv, false, kv);
    }
    // Loaded only for a file: the file system is no part of a host without one (Deno Deploy).
    const { openKvFile } = await import("./kv_file.ts");
    const { kv, reader, lock } = await openKvFile(path, options);
    return new Store(kv, !options.shared, reader, lock);
  }

  /** Whether reads use a connection of their own, beside the writer's (a KV file). */
  get separateReader(): boolean {
    return this.#reader !== this.#kv;
  }

  /** Writes through the grouper: resolves once durable. */
  write(...mutations: Mutation[]): Promise<void> {
    if (!tracing) return this.commits.write(mutations);
    // The span covers the wait for the shared commit too: what the request spent on it.
    return traced(
      "kv.commit",
      { "db.system.name": "deno_kv", "imps.kv.mutations": mutations.length },
      () => this.commits.write(mutations),
    );
  }

  /**
   * Writes mutations too many for one commit in writes of at most WRITE_ALL_CHUNK, all in flight
   * together (the grouper commits them back to back, two to a commit); resolves once all are
   * durable. Each write is atomic on its own, not the whole.
   */
  async writeAll(mutations: readonly Mutation[]): Promise<void> {
    if (mutations.length <= WRITE_ALL_CHUNK) return await this.write(...mutations);
    const writes: Promise<void>[] = [];
    for (let i = 0; i < mutations.length; i += WRITE_ALL_CHUNK) {
      writes.push(this.write(...mutations.slice(i, i + WRITE_ALL_CHUNK)));
    }
    await Promise.all(writes);
  }

  /**
   * Changes one record by `change` (undefined: leave it as it is), read and written in one
   * checked commit through the grouper: when another writer (another request, another instance
   * sharing the KV) changed it between the read and the commit, it is read again and changed
   * again, so two changes at once both land. Resolves with what was written; CommitConflict
   * after `attempts` tries that all met a concurrent change.
   */
  async update<T>(
    key: Deno.KvKey,
    change: (current: T | undefined) => T | undefined,
    attempts: number,
  ): Promise<T | undefined> {
    for (let attempt = 1;; attempt++) {
      const entry = await this.getEntry<T>(key);
      const next = change(entry?.value);
      if (next === undefined) return undefined;
      try {
        await this.write(check(key, entry?.versionstamp ?? null), set(key, next));
        return next;
      } catch (error) {
        if (!(error instanceof CommitConflict) || attempt >= attempts) throw error;
      }
    }
  }

  /** Reads one key. Gets asked in the same tick travel together (see #readTogether). */
  async get<T>(key: Deno.KvKey): Promise<T | undefined> {
    return (await this.getEntry<T>(key))?.value ?? undefined;
  }

  /** Like get, with the version read (for a write that must hold only while it is unchanged). */
  getEntry<T>(key: Deno.KvKey): Promise<Kept<T> | undefined> {
    return new Promise((resolve, reject) => {
      const read = { key, resolve: resolve as PendingRead["resolve"], reject };
      if (this.#reads.push(read) === 1) queueMicrotask(() => this.#readTogether());
    });
  }

  /**
   * Sends the gets gathered in this tick as getMany calls of up to GET_MANY_LIMIT keys: one round
   * trip to the store's thread instead of one per key (a send checks the recipient, the block
   * list and the mailbox count at once).
   */
  #readTogether(): void {
    const reads = this.#reads;
    this.#reads = [];
    for (let i = 0; i < reads.length; i += GET_MANY_LIMIT) {
      const chunk = reads.slice(i, i + GET_MANY_LIMIT);
      this.#reader.getMany(chunk.map((r) => r.key)).then(
        (entries) => entries.forEach((e, j) => chunk[j].resolve(kept(e))),
        // One bad key fails the whole call: ask each alone, so only its own caller hears of it.
        () => {
          for (const r of chunk) this.#reader.get(r.key).then((e) => r.resolve(kept(e)), r.reject);
        },
      );
    }
  }

  /**
   * Like get, but answered from memory when this key was read or written here less than
   * `maxAgeMs` ago. Commits made through this store keep the value exact; only writers outside
   * it (another process, a direct kv.atomic) can go unseen, for at most `maxAgeMs`. For the
   * small records a hot path asks on every request (a recipient's block list, a mailbox count):
   * each read is a round trip to the store's thread.
   */
  async getRecent<T>(key: Deno.KvKey, maxAgeMs: number): Promise<T | undefined> {
    // Another instance's commit may have changed any key since this one last looked.
    if (!this.exclusive) return await this.get<T>(key);
    const text = keyText(key);
    const now = Date.now();
    const hit = this.#recent.get(text);
    if (hit && now - hit.at < maxAgeMs) return hit.value as T | undefined;
    // Remembered before the value is: a kept value's key is always in a followed family.
    this.#rememberFamily(key);
    let reads = this.#recentReads.get(text);
    if (!reads) this.#recentReads.set(text, reads = { pending: 0, stale: false });
    reads.pending++;
    try {
      const value = await this.get<T>(key);
      if (!reads.stale) this.#remember(text, value, now);
      return value;
    } finally {
      if (--reads.pending === 0) this.#recentReads.delete(text);
    }
  }

  /**
   * getRecent for records only the server writes (never the admin command): on a store this
   * process serves alone, what it remembers is kept exact by its own commits however old;
   * on a shared store it is read at each look.
   */
  getServerOwned<T>(key: Deno.KvKey, maxAgeMs: number): Promise<T | undefined> {
    return this.getRecent<T>(key, this.exclusive ? Infinity : maxAgeMs);
  }

  /** Keys that getRecent may keep share their first two parts with one it was asked for. */
  #rememberFamily(key: Deno.KvKey): void {
    let second = this.#recentFamilies.get(comparable(key[0]));
    if (!second) this.#recentFamilies.set(comparable(key[0]), second = new Set());
    second.add(comparable(key[1]));
  }

  #remember(text: string, value: unknown, at: number): void {
    if (this.#recent.size >= RECENT_MAX) this.#recent.clear();
    this.#recent.set(text, { value, at });
  }

  /** A commit made here: what getRecent keeps for the keys it touched takes their new values. */
  #followRecent(mutations: readonly Mutation[]): void {
    if (this.#recent.size === 0 && this.#recentReads.size === 0) return;
    const now = Date.now();
    for (const m of mutations) {
      if (m.type === "check") continue;
      if (!this.#recentFamilies.get(comparable(m.key[0]))?.has(comparable(m.key[1]))) continue;
      const text = keyText(m.key);
      const reads = this.#recentReads.get(text);
      if (reads) reads.stale = true;
      const kept = this.#recent.get(text);
      if (!kept) continue;
      if (m.type === "set") kept.value = m.value;
      else if (m.type === "delete") kept.value = undefined;
      else if (kept.value === undefined) kept.value = new Deno.KvU64(m.value);
      else if (kept.value instanceof Deno.KvU64) {
        kept.value = new Deno.KvU64(BigInt.asUintN(64, kept.value.value + m.value));
      } else {
        this.#recent.delete(text);
        continue;
      }
      kept.at = now;
    }
  }

  /**
   * Reads many keys, GET_MANY_LIMIT per KV call, all calls in flight together (a fan-out's
   * thousands of keys without a promise per key).
   */
  async getMany<T>(keys: readonly Deno.KvKey[]): Promise<(T | undefined)[]> {
    const chunks: Deno.KvKey[][] = [];
    for (let i = 0; i < keys.length; i += GET_MANY_LIMIT) {
      chunks.push(keys.slice(i, i + GET_MANY_LIMIT));
    }
    const results = await Promise.all(chunks.map((chunk) => this.#reader.getMany<T[]>(chunk)));
    return results.flat().map((e) => (e.value ?? undefined) as T | undefined);
  }

  /** The entries under `prefix`, in key order. */
  async list<T>(
    prefix: Deno.KvKey,
    options: Deno.KvListOptions = {},
  ): Promise<({ key: Deno.KvKey } & Kept<T>)[]> {
    const out: ({ key: Deno.KvKey } & Kept<T>)[] = [];
    for await (const { key, value, versionstamp } of this.scan<T>({ prefix }, options)) {
      out.push({ key, value, versionstamp });
    }
    return out;
  }

  /** The entries a selector names, as they are read (a prefix or a range; a cursor continues
   * where an earlier scan's `cursor` stopped): for a reader that stops early or pages. */
  scan<T>(selector: Deno.KvListSelector, options: Deno.KvListOptions = {}): Deno.KvListIterator<T> {
    return this.#reader.list<T>(selector, options);
  }

  /**
   * The values of `keys` now and at each change after (`kv.watch`, at most 10 keys): across
   * instances on KV Connect and Deno Deploy's KV; on a KV file only within this process.
   */
  watch(keys: Deno.KvKey[]): ReadableStream<Deno.KvEntryMaybe<unknown>[]> {
    return this.#reader.watch(keys);
  }

  /**
   * How many keys lie under `prefix`, grouped by the key part at `groupBy` when given (metrics:
   * queue depths). Reads every entry once, so callers keep the answer a while.
   */
  async count(prefix: Deno.KvKey, groupBy?: number): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    for await (const { key } of this.#reader.list({ prefix }, { batchSize: 1000 })) {
      const group = groupBy === undefined ? "" : String(key[groupBy]);
      counts.set(group, (counts.get(group) ?? 0) + 1);
    }
    return counts;
  }

  /** True when the store answers a read. */
  async healthy(): Promise<boolean> {
    try {
      await this.#kv.get(["health"]);
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await this.commits.drain();
    if (this.#reader !== this.#kv) this.#reader.close();
    this.#kv.close();
    this.#lock?.close();
  }
}

export const set = (key: Deno.KvKey, value: unknown): Mutation => ({ type: "set", key, value });
export const del = (key: Deno.KvKey): Mutation => ({ type: "delete", key });
/** The write goes through only while `key` has `versionstamp` (null: while it does not exist). */
export const check = (key: Deno.KvKey, versionstamp: string | null): Mutation => ({
  type: "check",
  key,
  versionstamp,
});
/** Adds `by` (negative to subtract) to the counter at `key`. */
export const add = (key: Deno.KvKey, by: number): Mutation => ({
  type: "sum",
  key,
  value: BigInt.asUintN(64, BigInt(by)),
});
