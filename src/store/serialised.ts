/**
 * Runs tasks one at a time per key, in the order they come: for a read-then-write that must not
 * interleave with another of the same key (a group's membership, a session's open searches).
 * Keyed by the store too, so servers sharing a process stay apart. On a store in shared mode
 * other instances run such tasks too: there each task also holds a lease in KV for its key, so
 * that one task per key runs across all of them; a lease left by an instance that died lapses
 * after LEASE_MS.
 */
import { CommitConflict } from "./commit.ts";
import { check, del, type Store } from "./kv.ts";
import { randomHex } from "../util/ids.ts";

const queues = new WeakMap<Store, Map<string, Promise<unknown>>>();

/** How long a lease holds without its holder: longer than any such task takes. */
const LEASE_MS = 10_000;
/** Pause between tries while another instance holds a lease, ms (doubling up to the last). */
const RETRY_MS = [2, 4, 8, 16, 32];

interface Lease {
  holder: string;
  until: number;
}

const leaseKey = (key: string) => ["lease", key];

export function serialised<T>(store: Store, key: string, task: () => Promise<T>): Promise<T> {
  let perStore = queues.get(store);
  if (!perStore) queues.set(store, perStore = new Map());
  const previous = perStore.get(key) ?? Promise.resolve();
  const leased = store.exclusive ? task : () => withLease(store, key, task);
  const run = previous.then(leased, leased);
  const settled = run.then(() => {}, () => {});
  perStore.set(key, settled);
  settled.then(() => {
    if (perStore.get(key) === settled) perStore.delete(key);
  });
  return run;
}

/** Runs `task` holding the lease of `key`, waiting while another instance holds it. */
async function withLease<T>(store: Store, key: string, task: () => Promise<T>): Promise<T> {
  const holder = randomHex(8);
  const until = Date.now() + LEASE_MS;
  for (let attempt = 0;; attempt++) {
    if (Date.now() > until) throw new Error(`the lease of ${key} stayed taken`);
    const held = await store.kv.get<Lease>(leaseKey(key));
    if (held.value === null || held.value.until <= Date.now()) {
      const lease: Lease = { holder, until: Date.now() + LEASE_MS };
      try {
        await store.write(check(leaseKey(key), held.versionstamp), {
          type: "set",
          key: leaseKey(key),
          value: lease,
          expireIn: LEASE_MS,
        });
        break;
      } catch (error) {
        if (!(error instanceof CommitConflict)) throw error;
      }
    }
    const pause = RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)];
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
  try {
    return await task();
  } finally {
    const now = await store.kv.get<Lease>(leaseKey(key));
    if (now.value?.holder === holder) {
      await store.write(check(leaseKey(key), now.versionstamp), del(leaseKey(key)))
        .catch(() => {});
    }
  }
}
