/**
 * Groups the KV writes of concurrent requests into one atomic commit.
 *
 * One commit is one SQLite transaction with its own fsync (~0.3 ms), and SQLite has a single
 * writer, so a commit per request caps the whole server near 3k writes/s. Here at most one commit
 * is in flight: writes that arrive meanwhile wait for it and then go together in the next one.
 * Under light load a write is committed at once (armed by a microtask, not a timer: a timer costs
 * milliseconds); under heavy load batches grow by themselves. Every caller's promise resolves only
 * after its own writes are durable, so a request is answered only after its commit.
 *
 * A write may carry checks (a key must still have the version read, or must not exist): a write
 * whose check fails is rejected with CommitConflict and none of it is applied. A write never
 * shares a commit with an earlier one touching a key it checks, so two writers that both read a
 * key as absent cannot both pass in the same commit.
 */
import { setImmediate } from "node:timers";
import { failure, log } from "../observe/log.ts";

export type Mutation =
  | { type: "set"; key: Deno.KvKey; value: unknown; expireIn?: number }
  | { type: "delete"; key: Deno.KvKey }
  /** Adds to a counter (a Deno.KvU64; `value` wraps modulo 2^64, so 2^64 - 1 subtracts one). */
  | { type: "sum"; key: Deno.KvKey; value: bigint }
  /** Holds the write back unless `key` still has `versionstamp` (null: does not exist). */
  | { type: "check"; key: Deno.KvKey; versionstamp: string | null };

/** A write refused because one of its checks failed: something else changed the key first. */
export class CommitConflict extends Error {
  constructor() {
    super("KV commit refused: a checked key changed");
  }
}

/** Called after each commit with the mutations it made durable and the commit's versionstamp
 * (which every key it wrote now has). */
export type CommitListener = (mutations: readonly Mutation[], versionstamp: string) => void;

/** Called after each grouped commit with its duration in seconds and the writes it carried. */
export type CommitObserver = (seconds: number, writes: number) => void;

interface PendingWrite {
  mutations: Mutation[];
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** Deno KV limits one atomic operation to 1000 mutations; stay well clear of the size limit too. */
const MAX_MUTATIONS_PER_COMMIT = 1000;
const MAX_BYTES_PER_COMMIT = 512 * 1024;
/** Deno KV refuses an atomic operation whose keys together are longer than 80 KiB; kept under it
 * with room for the estimate's error. */
const MAX_KEY_BYTES_PER_COMMIT = 72 * 1024;
/** Deno KV refuses an atomic operation with more checks than this. */
const MAX_CHECKS_PER_COMMIT = 100;
/**
 * Event-loop turns a commit waits at most for writes still on their way. A commit has a large
 * fixed cost (a few hundred µs of CPU on each side of the store, and an fsync), so fewer, larger
 * commits are what lets the server go faster; a turn costs ~15 µs, where a timer costs ~2 ms.
 */
const GATHER_TURNS = 8;

export class CommitGrouper {
  #pending: PendingWrite[] = [];
  #flushing = false;
  #armed = false;
  /** Commits made and writes carried, for benchmarks and tests. */
  readonly stats = { commits: 0, writes: 0 };
  #listeners: CommitListener[] = [];
  #observer?: CommitObserver;

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

  /** Tells `listener` about every commit from now on (repositories keeping hints in memory). */
  onCommit(listener: CommitListener): void {
    this.#listeners.push(listener);
  }

  /** Tells `observer` how long each commit took and how many writes it carried (metrics). */
  observe(observer: CommitObserver): void {
    this.#observer = observer;
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
        await this.#gather();
        const batch = this.#takeBatch();
        await this.#commit(batch);
      }
    } finally {
      this.#flushing = false;
    }
  }

  /** Lets requests already under way (their input read, their reads answered) add their writes
   * first: yields event-loop turns while writes keep arriving, up to GATHER_TURNS. */
  async #gather(): Promise<void> {
    for (let turn = 0; turn < GATHER_TURNS; turn++) {
      const before = this.#pending.length;
      await new Promise((resolve) => setImmediate(resolve));
      if (this.#pending.length === before) return;
    }
  }

  #takeBatch(): PendingWrite[] {
    const batch: PendingWrite[] = [];
    let mutations = 0;
    let bytes = 0;
    let checks = 0;
    let keyBytes = 0;
    /** Keys the batch touches; only kept once a write with checks needs to know. */
    let touched: KeySet | undefined;
    while (this.#pending.length > 0) {
      const next = this.#pending[0];
      const size = estimateBytes(next.mutations);
      const keySize = estimateKeyBytes(next.mutations);
      let checked = 0;
      for (const m of next.mutations) if (m.type === "check") checked++;
      const fits = mutations + next.mutations.length <= MAX_MUTATIONS_PER_COMMIT &&
        bytes + size <= MAX_BYTES_PER_COMMIT && checks + checked <= MAX_CHECKS_PER_COMMIT &&
        keyBytes + keySize <= MAX_KEY_BYTES_PER_COMMIT;
      if (batch.length > 0 && !fits) break;
      if (checked > 0 || touched) {
        if (!touched) {
          touched = new KeySet();
          for (const w of batch) for (const m of w.mutations) touched.add(m.key);
        }
        if (next.mutations.some((m) => m.type === "check" && touched!.has(m.key))) break;
        for (const m of next.mutations) touched.add(m.key);
      }
      batch.push(this.#pending.shift()!);
      mutations += next.mutations.length;
      bytes += size;
      checks += checked;
      keyBytes += keySize;
    }
    return batch;
  }

  async #commit(batch: PendingWrite[]): Promise<void> {
    try {
      const started = performance.now();
      await this.#commitAtomically(batch.flatMap((w) => w.mutations));
      this.#observer?.((performance.now() - started) / 1000, batch.length);
      this.stats.writes += batch.length;
      for (const w of batch) w.resolve();
    } catch (error) {
      if (batch.length === 1) {
        batch[0].reject(error);
        return;
      }
      // One bad or conflicting write must not fail its neighbours: retry each on its own.
      for (const w of batch) {
        try {
          await this.#commitAtomically(w.mutations);
          this.stats.writes++;
          w.resolve();
        } catch (own) {
          w.reject(own);
        }
      }
    }
  }

  async #commitAtomically(mutations: Mutation[]): Promise<void> {
    const op = this.kv.atomic();
    let checks = false;
    for (const m of mutations) {
      if (m.type === "set") {
        op.set(m.key, m.value, m.expireIn ? { expireIn: m.expireIn } : undefined);
      } else if (m.type === "delete") op.delete(m.key);
      else if (m.type === "sum") op.sum(m.key, m.value);
      else {
        op.check({ key: m.key, versionstamp: m.versionstamp });
        checks = true;
      }
    }
    const result = await whileLocked(() => op.commit());
    if (!result.ok) throw checks ? new CommitConflict() : new Error("KV commit was refused");
    this.stats.commits++;
    for (const listener of this.#listeners) {
      try {
        listener(mutations, result.versionstamp);
      } catch (error) {
        log.error("commit listener failed", failure(error));
      }
    }
  }
}

/** How long a commit waits at most for a KV file another process is writing (shared mode). */
const LOCKED_WAIT_MS = 5_000;

/**
 * Runs `write`, again while the KV file is locked by another process's write: SQLite lets one
 * process write at a time, and Deno KV reports the others' attempts as "database is locked"
 * rather than waiting. Only servers sharing a file (IMPS_SHARED) and the admin command beside a
 * server meet it.
 */
export async function whileLocked<T>(write: () => Promise<T>): Promise<T> {
  const until = Date.now() + LOCKED_WAIT_MS;
  for (let pause = 1;; pause = Math.min(pause * 2, 32)) {
    try {
      return await write();
    } catch (error) {
      if (!/database is locked/.test(String(error)) || Date.now() > until) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, pause * (0.5 + Math.random())));
  }
}

/** A key part as a Map compares it: by value (bytes by their text, not their identity). */
export const comparable = (part: Deno.KvKeyPart): Deno.KvKeyPart =>
  part instanceof Uint8Array ? `b:${part.join(",")}` : part;

/** Keys found by their last part (mostly an id of their own): a lookup compares few keys whole,
 * and nothing is built for the keys added. */
class KeySet {
  readonly #byLast = new Map<Deno.KvKeyPart, Deno.KvKey[]>();

  add(key: Deno.KvKey): void {
    const last = comparable(key[key.length - 1]);
    const same = this.#byLast.get(last);
    if (same) same.push(key);
    else this.#byLast.set(last, [key]);
  }

  has(key: Deno.KvKey): boolean {
    const same = this.#byLast.get(comparable(key[key.length - 1]));
    return same !== undefined && same.some((other) => sameKey(other, key));
  }
}

function sameKey(a: Deno.KvKey, b: Deno.KvKey): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (comparable(a[i]) !== comparable(b[i])) return false;
  return true;
}

/** A key as text, to compare keys with those kept in memory. */
export function keyText(key: Deno.KvKey): string {
  // Most keys are all text: joined by a character no part contains, behind a mark the general
  // form never starts with.
  if (key.every((part) => typeof part === "string" && !part.includes("\u0000"))) {
    return "\u0001" + key.join("\u0000");
  }
  let text = "";
  for (const part of key) {
    text += typeof part === "string"
      ? `s:${part}\u0000`
      : part instanceof Uint8Array
      ? `b:${part.join(",")}\u0000`
      : `${typeof part}:${String(part)}\u0000`;
  }
  return text;
}

function estimateBytes(mutations: Mutation[]): number {
  let bytes = 0;
  for (const m of mutations) {
    bytes += 64;
    if (m.type === "set") bytes += sizeOf(m.value);
  }
  return bytes;
}

/** About how long the encoded keys are: a tag and a terminator per part; non-ASCII text counted
 * at its UTF-8 worst case. */
const NON_ASCII = /[\u0080-\uffff]/;

function estimateKeyBytes(mutations: Mutation[]): number {
  let bytes = 0;
  for (const m of mutations) {
    for (const part of m.key) {
      bytes += 2 +
        (typeof part === "string"
          ? (NON_ASCII.test(part) ? part.length * 3 : part.length)
          : part instanceof Uint8Array
          ? part.byteLength
          : 9);
    }
  }
  return bytes;
}

/** The object weighed last and its size: a fan-out writes one value object under thousands of
 * keys, one after another; values are not changed after they are handed to a write. */
let lastWeighed: object | undefined;
let lastSize = 0;

function sizeOf(value: unknown): number {
  if (value === null || typeof value !== "object") return roughSize(value);
  if (value !== lastWeighed) {
    lastWeighed = value;
    lastSize = roughSize(value);
  }
  return lastSize;
}

/** About how many bytes a value takes, without serialising it (every write is weighed). */
function roughSize(value: unknown, depth = 0): number {
  if (typeof value === "string") return value.length * 2;
  if (value instanceof Uint8Array) return value.byteLength;
  if (value === null || typeof value !== "object") return 16;
  if (depth > 16) return 1024;
  let bytes = 16;
  if (Array.isArray(value)) {
    for (const child of value) bytes += roughSize(child, depth + 1);
    return bytes;
  }
  const record = value as Record<string, unknown>;
  for (const key in record) bytes += key.length + roughSize(record[key], depth + 1);
  return bytes;
}
