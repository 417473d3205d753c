/**
 * How presence commits its writes with the notifications they queue: in writes of bounded size.
 */
import type { Mutation, Store } from "../../store/kv.ts";

/** Mutations per write: two writes fill one KV commit (at most 1000 mutations). */
const MUTATIONS_PER_WRITE = 500;

/** Commits mutations in writes of bounded size, all in flight together; resolves when durable. */
export async function commitAll(store: Store, mutations: Mutation[]): Promise<void> {
  const writes: Promise<void>[] = [];
  for (let i = 0; i < mutations.length; i += MUTATIONS_PER_WRITE) {
    writes.push(store.write(...mutations.slice(i, i + MUTATIONS_PER_WRITE)));
  }
  await Promise.all(writes);
}
