/**
 * Groups the KV writes of concurrent requests into one atomic commit.
 *
 * One commit is one SQLite transaction with its own fsync (~0.3 ms), and SQLite has a single
 * writer, so a commit per request caps the whole server near 3k writes/s. Here at most one commit
 * is in flight: writes that arrive meanwhile wait for it and then go together in the next one.
 * Under light load a write is committed at once (armed by a microtask, not a timer: a timer costs
 * milliseconds); under heavy load batches grow by themselves. Every caller's promise resolves only
 * after its own writes are durable, so a request is answered only after its commit.
 */

export type Mutation =
  | { type: "set"; key: Deno.KvKey; value: unknown; expireIn?: number }
  | { type: "delete"; key: Deno.KvKey };

interface PendingWrite {
  mutations: Mutation[];
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** Deno KV limits one atomic operation to 1000 mutations; stay well clear of the size limit too. */
const MAX_MUTATIONS_PER_COMMIT = 1000;
const MAX_BYTES_PER_COMMIT = 512 * 1024;

export class CommitGrouper {
  #pending: PendingWrite[] = [];
  #flushing = false;
  #armed = false;
  /** Commits made and writes carried, for benchmarks and tests. */
  readonly stats = { commits: 0, writes: 0 };

  constructor(private readonly kv: Deno.Kv) {}

  /** Resolves once these mutations are committed (all of them, atomically, or none). */
  write(mutations: Mutation[]): Promise<void> {
    if (mutations.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#pending.push({ mutations, resolve, reject });
      if (!this.#flushing && !this.#armed) {
        this.#armed = true;
        queueMicrotask(() => this.#flush());
      }
    });
  }

  /** Resolves when everything written so far is committed. */
  async drain(): Promise<void> {
    while (this.#pending.length > 0 || this.#flushing) {
      await new Promise((r) => setTimeout(r, 1));
    }
  }

  async #flush(): Promise<void> {
    this.#armed = false;
    this.#flushing = true;
    try {
      while (this.#pending.length > 0) {
        const batch = this.#takeBatch();
        await this.#commit(batch);
      }
    } finally {
      this.#flushing = false;
    }
  }

  #takeBatch(): PendingWrite[] {
    const batch: PendingWrite[] = [];
    let mutations = 0;
    let bytes = 0;
    while (this.#pending.length > 0) {
      const next = this.#pending[0];
      const size = estimateBytes(next.mutations);
      const fits = mutations + next.mutations.length <= MAX_MUTATIONS_PER_COMMIT &&
        bytes + size <= MAX_BYTES_PER_COMMIT;
      if (batch.length > 0 && !fits) break;
      batch.push(this.#pending.shift()!);
      mutations += next.mutations.length;
      bytes += size;
    }
    return batch;
  }

  async #commit(batch: PendingWrite[]): Promise<void> {
    try {
      await commitAtomically(this.kv, batch.flatMap((w) => w.mutations));
      this.stats.commits++;
      this.stats.writes += batch.length;
      for (const w of batch) w.resolve();
    } catch (error) {
      if (batch.length === 1) {
        batch[0].reject(error);
        return;
      }
      // One bad write must not fail its neighbours: retry each on its own.
      for (const w of batch) {
        try {
          await commitAtomically(this.kv, w.mutations);
          this.stats.commits++;
          this.stats.writes++;
          w.resolve();
        } catch (own) {
          w.reject(own);
        }
      }
    }
  }
}

async function commitAtomically(kv: Deno.Kv, mutations: Mutation[]): Promise<void> {
  const op = kv.atomic();
  for (const m of mutations) {
    if (m.type === "set") op.set(m.key, m.value, m.expireIn ? { expireIn: m.expireIn } : undefined);
    else op.delete(m.key);
  }
  const result = await op.commit();
  if (!result.ok) throw new Error("KV commit was refused");
}

function estimateBytes(mutations: Mutation[]): number {
  let bytes = 0;
  for (const m of mutations) {
    bytes += 64;
    if (m.type === "set") bytes += roughSize(m.value);
  }
  return bytes;
}

function roughSize(value: unknown): number {
  if (typeof value === "string") return value.length * 2;
  if (value instanceof Uint8Array) return value.byteLength;
  if (value === null || typeof value !== "object") return 16;
  try {
    return JSON.stringify(value)?.length ?? 16;
  } catch {
    return 1024;
  }
}
