/**
 * The storage root: one Deno KV handle and the commit grouper every repository writes through.
 * Repositories (users, sessions, outbox, and each service element's own) sit on top of it and
 * know their own key spaces; nothing else touches KV keys.
 */
import { CommitGrouper, type Mutation } from "./commit.ts";

export type { Mutation };

export class Store {
  readonly commits: CommitGrouper;

  private constructor(readonly kv: Deno.Kv) {
    this.commits = new CommitGrouper(kv);
  }

  /** Opens (creating its directory if needed) the KV database at `path`, or `:memory:`. */
  static async open(path: string): Promise<Store> {
    if (path !== ":memory:") {
      const dir = path.replace(/[/\\][^/\\]*$/, "");
      if (dir && dir !== path) await Deno.mkdir(dir, { recursive: true });
    }
    return new Store(await Deno.openKv(path));
  }

  /** Writes through the grouper: resolves once durable. */
  write(...mutations: Mutation[]): Promise<void> {
    return this.commits.write(mutations);
  }

  async get<T>(key: Deno.KvKey): Promise<T | undefined> {
    const entry = await this.kv.get<T>(key);
    return entry.value ?? undefined;
  }

  async list<T>(
    prefix: Deno.KvKey,
    options: Deno.KvListOptions = {},
  ): Promise<{ key: Deno.KvKey; value: T }[]> {
    const out: { key: Deno.KvKey; value: T }[] = [];
    for await (const entry of this.kv.list<T>({ prefix }, options)) {
      out.push({ key: entry.key, value: entry.value });
    }
    return out;
  }

  /** True when the store answers a read. */
  async healthy(): Promise<boolean> {
    try {
      await this.kv.get(["health"]);
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await this.commits.drain();
    this.kv.close();
  }
}

export const set = (key: Deno.KvKey, value: unknown): Mutation => ({ type: "set", key, value });
export const del = (key: Deno.KvKey): Mutation => ({ type: "delete", key });
