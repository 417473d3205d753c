/**
 * In-memory copies of small key ranges (a session's queue, a user's mailbox), read once and then
 * kept in step with every commit made through the store: a hot path (every poll, the Poll flag
 * of every answer) reads no KV. A range longer than `limit` is not kept: each look reads its
 * first `limit` entries. A kept range is read again after `believedMs`, which bounds what a
 * writer outside this process (the admin command) could leave unseen. On a store in shared mode
 * (`Store.exclusive` false) nothing is kept: other instances commit to the same ranges, and a
 * client whose last request another instance answered must find what it committed, so each look
 * reads.
 */
import type { Mutation } from "./commit.ts";
import type { Kept, Store } from "./kv.ts";

export type { Kept };

export interface RangeViewOptions<T> {
  /** Entries of one range kept at most (Infinity: all of it). */
  limit: number;
  /** How long a kept range is believed complete without reading it again. */
  believedMs: number;
  /** Ranges kept at most: beyond, the memory starts over rather than grow. */
  maxViews: number;
  /** What is kept of a stored value (default: all of it); a caller that only counts keeps
   * nothing. */
  keep?: (value: unknown) => T;
  /** Told of every committed write of an entry of the family (kept or not) as it is followed:
   * the owner has something new (what wakes a client, src/transport/cir). */
  onSet?: (owner: string) => void;
}

interface View<T> {
  until: number;
  /** By the key part after the owner; `ordered` false when one was added out of order. */
  entries: Map<string, Kept<T>>;
  ordered: boolean;
  /** The greatest key part added. */
  last: string;
}

/**
 * The ranges `[...family, owner, name]` of a family of keys, one per owner (a session id, a user
 * id), each ordered by `name`.
 */
export class RangeViews<T> {
  readonly #views = new Map<string, View<T>>();
  /** Reads in flight, and the commits for their range that landed meanwhile (the read may or may
   * not include them: they are applied on top). */
  readonly #loading = new Map<
    string,
    { done: Promise<View<T>>; landed: { m: Mutation; versionstamp: string }[] }
  >();

  constructor(
    private readonly store: Store,
    private readonly family: readonly string[],
    private readonly options: RangeViewOptions<T>,
  ) {
    store.commits.onCommit((mutations, versionstamp) => this.#follow(mutations, versionstamp));
  }

  /** An owner's range by name, in order: all of it, or its first `limit` entries. */
  async entries(owner: string, now: number): Promise<ReadonlyMap<string, Kept<T>>> {
    if (!this.store.exclusive) return await this.#read(owner);
    let view = this.#views.get(owner);
    if (!view || now >= view.until) view = await this.#load(owner, now);
    if (!view.ordered) {
      view.entries = new Map([...view.entries].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0));
      view.ordered = true;
    }
    return view.entries;
  }

  /** An owner's range if it is kept and believed complete now (in no set order); undefined when
   * `entries` would have to read it. */
  known(owner: string, now: number): ReadonlyMap<string, Kept<T>> | undefined {
    const view = this.store.exclusive ? this.#views.get(owner) : undefined;
    return view && now < view.until ? view.entries : undefined;
  }

  /** Drops what is kept of an owner's range (the owner is gone). */
  forget(owner: string): void {
    this.#views.delete(owner);
  }

  /** Whether `key` is `[...family, owner, name]`. */
  #inFamily(key: Deno.KvKey): boolean {
    if (key.length !== this.family.length + 2) return false;
    for (let i = 0; i < this.family.length; i++) if (key[i] !== this.family[i]) return false;
    return true;
  }

  #follow(mutations: readonly Mutation[], versionstamp: string): void {
    for (const m of mutations) {
      if (m.type === "check" || !this.#inFamily(m.key)) continue;
      const owner = String(m.key[this.family.length]);
      if (m.type === "set") this.options.onSet?.(owner);
      this.#loading.get(owner)?.landed.push({ m, versionstamp });
      const view = this.#views.get(owner);
      if (!view) continue;
      this.#apply(view, m, versionstamp);
      if (view.entries.size > this.options.limit) this.#views.delete(owner);
    }
  }

  #apply(view: View<T>, m: Mutation, versionstamp: string): void {
    const name = String(m.key[this.family.length + 1]);
    if (m.type === "delete") view.entries.delete(name);
    else if (m.type === "set") {
      if (name > view.last) view.last = name;
      else if (!view.entries.has(name)) view.ordered = false;
      view.entries.set(name, { value: this.#kept(m.value), versionstamp });
    }
  }

  #kept(value: unknown): T {
    return this.options.keep ? this.options.keep(value) : value as T;
  }

  /** An owner's range as stored now: its first `limit` entries and one more (which says the
   * range is too long to keep), in order. */
  async #read(owner: string): Promise<Map<string, Kept<T>>> {
    const { limit } = this.options;
    const entries = new Map<string, Kept<T>>();
    const listed = this.store.scan(
      { prefix: [...this.family, owner] },
      Number.isFinite(limit) ? { limit: limit + 1, batchSize: limit + 1 } : {},
    );
    for await (const { key, value, versionstamp } of listed) {
      entries.set(String(key[this.family.length + 1]), { value: this.#kept(value), versionstamp });
    }
    return entries;
  }

  /** Reads a range (its first `limit` entries), kept when that is all of it. Looks at once share
   * one read. */
  #load(owner: string, now: number): Promise<View<T>> {
    const loading = this.#loading.get(owner);
    if (loading) return loading.done;
    const landed: { m: Mutation; versionstamp: string }[] = [];
    const { limit, believedMs, maxViews } = this.options;
    const done = (async () => {
      let entries: Map<string, Kept<T>>;
      try {
        entries = await this.#read(owner);
      } finally {
        this.#loading.delete(owner);
      }
      const last = [...entries.keys()].pop() ?? "";
      const view: View<T> = { until: now + believedMs, entries, ordered: true, last };
      for (const { m, versionstamp } of landed) this.#apply(view, m, versionstamp);
      if (entries.size <= limit) {
        if (this.#views.size >= maxViews) this.#views.clear();
        this.#views.set(owner, view);
      } else this.#views.delete(owner);
      return view;
    })();
    this.#loading.set(owner, { done, landed });
    return done;
  }
}
