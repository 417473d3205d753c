/**
 * Runs tasks one at a time per key, in the order they come: for a read-then-write that must not
 * interleave with another of the same key in this process (a group's membership, a session's
 * open searches). Keyed by the store too, so servers sharing a process stay apart.
 */
import type { Store } from "./kv.ts";

const queues = new WeakMap<Store, Map<string, Promise<unknown>>>();

export function serialised<T>(store: Store, key: string, task: () => Promise<T>): Promise<T> {
  let perStore = queues.get(store);
  if (!perStore) queues.set(store, perStore = new Map());
  const previous = perStore.get(key) ?? Promise.resolve();
  const run = previous.then(task, task);
  const settled = run.then(() => {}, () => {});
  perStore.set(key, settled);
  settled.then(() => {
    if (perStore.get(key) === settled) perStore.delete(key);
  });
  return run;
}
