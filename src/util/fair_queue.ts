/**
 * A bounded queue of expensive work (password hashing), served fairly: each lane (a client
 * address) waits its turn in round robin, so a flood from one lane delays another's work by at
 * most one task per busy lane, never by the flood's length. Work beyond a lane's share of waiting
 * places, or beyond the queue's, is refused at once (QueueFull) rather than queued for later.
 */

export class QueueFull extends Error {
  constructor() {
    super("too much work waiting");
    this.name = "QueueFull";
  }
}

export interface FairQueueOptions {
  /** Tasks running at once. */
  concurrency: number;
  /** Tasks one lane may have waiting. */
  perLane: number;
  /** Tasks waiting in all. */
  total: number;
}

interface Waiting {
  start: () => void;
}

export class FairQueue {
  readonly #options: FairQueueOptions;
  /** Waiting tasks by lane; a Map iterates in insertion order, which makes the round robin. */
  readonly #lanes = new Map<string, Waiting[]>();
  #waiting = 0;
  #running = 0;

  constructor(options: FairQueueOptions) {
    this.#options = options;
  }

  /** Tasks waiting now. */
  get waiting(): number {
    return this.#waiting;
  }

  /** Runs `task` when its turn comes; throws QueueFull when the lane or the queue is full. */
  async run<T>(lane: string, task: () => Promise<T>): Promise<T> {
    if (this.#running >= this.#options.concurrency || this.#waiting > 0) {
      const queue = this.#lanes.get(lane) ?? [];
      if (queue.length >= this.#options.perLane || this.#waiting >= this.#options.total) {
        throw new QueueFull();
      }
      const turn = new Promise<void>((start) => queue.push({ start }));
      if (queue.length === 1) this.#lanes.set(lane, queue);
      this.#waiting++;
      await turn;
    } else {
      this.#running++;
    }
    try {
      return await task();
    } finally {
      this.#next();
    }
  }

  /** A task ended: the first lane waiting starts its oldest task and goes to the back. */
  #next(): void {
    const first = this.#lanes.entries().next();
    if (first.done) {
      this.#running--;
      return;
    }
    const [lane, queue] = first.value;
    const waiting = queue.shift()!;
    this.#lanes.delete(lane);
    if (queue.length > 0) this.#lanes.set(lane, queue);
    this.#waiting--;
    waiting.start();
  }
}
