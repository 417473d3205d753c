/**
 * Tasks run one at a time per key, in the order they come, each after the one before it ended
 * (however it ended): for a read-then-write that must not interleave with another of the same
 * key in this process (a group's membership, a user's presence, a session's open searches). Its
 * owner (an element, made per server) keeps it, so servers sharing a process stay apart.
 */
export class KeyedQueue {
  /** The tail of each key's chain: settled once its last task has. */
  readonly #tails = new Map<string, Promise<void>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const run = (this.#tails.get(key) ?? Promise.resolve()).then(task);
    const tail = run.then(() => {}, () => {});
    this.#tails.set(key, tail);
    tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return run;
  }
}
