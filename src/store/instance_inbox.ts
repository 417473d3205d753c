/**
 * Notes between the instances of a server that share one store (IMPS_SHARED, a remote KV, Deno
 * Deploy): what arrived at one instance but is awaited by another (an SSP answer to the request
 * another instance sent, the next step of a handshake it began) and wake-ups of CIR channels
 * another instance holds. Each instance has a random id and an inbox in the store,
 * ["instance", id, "in", sortableId] → note; a note is posted with one write and taken out by its
 * instance, which looks into its inbox every `lookMs` while anything of it waits on notes (a
 * request of its own in flight, a CIR channel held), and not at all otherwise, so an idle
 * instance (a Deploy isolate) keeps no timer.
 *
 * Why a look and not `kv.watch`: on a KV file, the shape that can be run and measured here,
 * watches do not cross processes; a look of an empty inbox is one short range read. Notes live
 * NOTE_TTL_MS at most: those of an instance that is gone expire.
 */
import { failure, log } from "../observe/log.ts";
import { randomHex, sortableId } from "../util/ids.ts";
import type { Store } from "./kv.ts";

/** What one note carries: its kind (the handler it goes to) and the handler's data (JSON). */
export interface InstanceNote {
  kind: string;
  data: unknown;
}

/** Handles the notes of one kind posted to this instance. */
export type NoteHandler = (data: unknown) => void | Promise<void>;

/** How long a note waits for its instance, ms: one that is gone does not take it. */
const NOTE_TTL_MS = 60_000;
/** Notes taken out in one look at most; a look that finds this many looks again at once. */
const LOOK_BATCH = 256;

const inboxPrefix = (id: string) => ["instance", id, "in"];

export class InstanceInbox {
  /** This instance's id: random, new at each start (8 hex digits). */
  readonly id = randomHex(4);
  readonly #store: Store;
  readonly #lookMs: number;
  readonly #handlers = new Map<string, NoteHandler>();
  #holds = 0;
  #loop?: Promise<void>;
  #wake?: () => void;
  #closed = false;

  constructor(store: Store, lookMs: number) {
    this.#store = store;
    this.#lookMs = lookMs;
  }

  /** Lets `handler` take the notes of `kind` posted to this instance. */
  on(kind: string, handler: NoteHandler): void {
    this.#handlers.set(kind, handler);
  }

  /** Posts a note to the instance `id` (resolves once durable). */
  post(id: string, kind: string, data: unknown): Promise<void> {
    return this.#store.write({
      type: "set",
      key: [...inboxPrefix(id), sortableId()],
      value: { kind, data } satisfies InstanceNote,
      expireIn: NOTE_TTL_MS,
    });
  }

  /**
   * Keeps the inbox looked into until the returned function is called (each hold once): while
   * anything of this instance waits on a note.
   */
  hold(): () => void {
    this.#holds++;
    if (!this.#loop && !this.#closed) {
      this.#loop = this.#run().finally(() => (this.#loop = undefined));
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#holds--;
    };
  }

  async #run(): Promise<void> {
    while (this.#holds > 0 && !this.#closed) {
      let full = false;
      try {
        full = await this.#look();
      } catch (error) {
        log.warn("instance inbox: look failed", failure(error));
      }
      if (!full) await this.#sleep(this.#lookMs);
    }
  }

  /** Takes out what waits in the inbox and hands each note to its handler; true if a full batch. */
  async #look(): Promise<boolean> {
    const notes = await this.#store.list<InstanceNote>(inboxPrefix(this.id), {
      limit: LOOK_BATCH,
    });
    if (notes.length === 0) return false;
    // Taken out before handled: a note is handled once at most (an instance dying in between
    // loses it, as it would lose what the note's sender would have given it directly).
    await this.#store.write(...notes.map((n) => ({ type: "delete" as const, key: n.key })));
    for (const { value } of notes) {
      const handler = this.#handlers.get(value.kind);
      if (!handler) continue;
      try {
        await handler(value.data);
      } catch (error) {
        log.error("instance inbox: note failed", { kind: value.kind, ...failure(error) });
      }
    }
    return notes.length === LOOK_BATCH;
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
  }

  /** Stops looking; waits for a look under way. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#wake?.();
    await this.#loop;
  }
}
