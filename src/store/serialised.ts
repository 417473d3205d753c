/**
 * Keeps a read-then-write of one key (a group's membership, a session's open searches) from
 * interleaving with another of the same key on other instances: the caller runs its tasks one at
 * a time per key in this process (util/keyed_queue.ts), and on a store in shared mode each task
 * also holds a lease in KV for its key, so that one task per key runs across all instances; a
 * lease left by an instance that died lapses after LEASE_MS.
 */
import { CommitConflict } from "./commit.ts";
import { check, del, type Store } from "./kv.ts";
import { randomHex } from "../util/ids.ts";

/** How long a lease holds without its holder: longer than any such task takes. */
const LEASE_MS = 10_000;
/** Pause between tries while another instance holds a lease, ms (doubling up to the last). */
const RETRY_MS = [2, 4, 8, 16, 32];

interface Lease {
  holder: string;
  until: number;
}

const leaseKey = (key: string) => ["lease", key];

/** `task` as it must run for `key`: as it is on a store this process serves alone, holding the
 * key's lease in shared mode. */
export function leased<T>(store: Store, key: string, task: () => Promise<T>): () => Promise<T> {
  return store.exclusive ? task : () => withLease(store, key, task);
}

/** Runs `task` holding the lease of `key`, waiting while another instance holds it. */
async function withLease<T>(store: Store, key: string, task: () => Promise<T>): Promise<T> {
  const holder = randomHex(8);
  const until = Date.now() + LEASE_MS;
  for (let attempt = 0;; attempt++) {
    if (Date.now() > until) throw new Error(`the lease of ${key} stayed taken`);
    const held = await store.getEntry<Lease>(leaseKey(key));
    if (held === undefined || held.value.until <= Date.now()) {
      const lease: Lease = { holder, until: Date.now() + LEASE_MS };
      try {
        await store.write(check(leaseKey(key), held?.versionstamp ?? null), {
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
    const now = await store.getEntry<Lease>(leaseKey(key));
    if (now?.value.holder === holder) {
      await store.write(check(leaseKey(key), now.versionstamp), del(leaseKey(key)))
        .catch(() => {});
    }
  }
}
