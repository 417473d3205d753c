/**
 * Notes between the instances of a server that share one store (IMPS_SHARED, a remote KV, Deno
 * Deploy): what arrived at one instance but is awaited by another (an SSP answer to the request
 * another instance sent, the next step of a handshake it began) and wake-ups of CIR channels
 * another instance holds. Each instance has a random id and an inbox in the store,
 * ["instance", id, "in", sortableId] → note, and a bell, ["instance", id, "bell"], set anew in
 * the commit of every note posted to it. It takes its notes out while anything of it waits on
 * them (a request of its own in flight, a CIR channel held), and does nothing otherwise, so an
 * idle instance (a Deploy isolate) keeps no timer and no watch:
 *
 * - `watch`: it watches its bell (`kv.watch`) and looks into the inbox at each ring, plus every
 *   `lookMs` (1 s by default) as a safety net, should a watch stream stall without failing. For
 *   stores that carry watches across instances: KV Connect, Deno Deploy's KV; on a KV file they
 *   reach the handles of the same process only.
 * - `look`: it looks into the inbox every `lookMs` (50 ms by default): a KV file, where watches
 *   do not cross processes; a look of an empty inbox is one short range read.
 *
 * Notes and bells live NOTE_TTL_MS at most: those of an instance that is gone expire.
 */
import type { SharedWake } from "../config.ts";
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

export interface InboxOptions {
  /** How notes are noticed: a watch of the bell (with slow looks), or looks alone. */
  wake: SharedWake;
  /** ms between looks while anything awaits notes (with `watch`, the safety net). */
  lookMs: number;
}

/** How long a note waits for its instance, ms: one that is gone does not take it. */
const NOTE_TTL_MS = 60_000;
/** Notes taken out in one look at most; a look that finds this many looks again at once. */
const LOOK_BATCH = 256;
/** Pause before a watch that ended or failed is opened again, ms (a store down is not hammered;
 * the look at its end covers what it may have missed). */
const REWATCH_MS = 1_000;

const inboxPrefix = (id: string) => ["instance", id, "in"];
const bellKey = (id: string) => ["instance", id, "bell"];

export class InstanceInbox {
  /** This instance's id: random, new at each start (8 hex digits). */
  readonly id = randomHex(4);
  readonly #store: Store;
  readonly #options: InboxOptions;
  readonly #handlers = new Map<string, NoteHandler>();
  #holds = 0;
  #loop?: Promise<void>;
  /** Ends the loop's pause at once (a ring, a release, close). */
  #wake?: () => void;
  /** The bell rang since the last look began: look again without pausing. */
  #rung = false;
  #closed = false;

  constructor(store: Store, options: InboxOptions) {
    this.#store = store;
    this.#options = options;
  }

  /** Lets `handler` take the notes of `kind` posted to this instance. */
  on(kind: string, handler: NoteHandler): void {
    this.#handlers.set(kind, handler);
  }

  /** Posts a note to the instance `id` and rings its bell, in one commit (resolves once
   * durable). The bell is rung whatever this instance's own wake: all of them may not agree. */
  post(id: string, kind: string, data: unknown): Promise<void> {
    return this.#store.write(
      {
        type: "set",
        key: [...inboxPrefix(id), sortableId()],
        value: { kind, data } satisfies InstanceNote,
        expireIn: NOTE_TTL_MS,
      },
      { type: "set", key: bellKey(id), value: sortableId(), expireIn: NOTE_TTL_MS },
    );
  }

  /**
   * Keeps the inbox followed until the returned function is called (each hold once): while
   * anything of this instance waits on a note.
   */
  hold(): () => void {
    this.#holds++;
    if (!this.#loop && !this.#closed) this.#loop = this.#run();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      // The last release ends the loop (and its watch) now, not at its next look.
      if (--this.#holds === 0) this.#wake?.();
    };
  }

  async #run(): Promise<void> {
    try {
      do {
        const watch = this.#options.wake === "watch" ? this.#watch() : undefined;
        try {
          await this.#follow();
        } finally {
          await watch?.stop();
        }
        // A hold taken while the watch was being closed: followed again, not left unheard.
      } while (this.#holds > 0 && !this.#closed);
    } finally {
      this.#loop = undefined;
    }
  }

  /** Looks into the inbox at each ring and every `lookMs`, while anything holds it. */
  async #follow(): Promise<void> {
    while (this.#holds > 0 && !this.#closed) {
      // A ring from here on may be for a note this look does not see: it looks again.
      this.#rung = false;
      let full = false;
      try {
        full = await this.#look();
      } catch (error) {
        log.warn("instance inbox: look failed", failure(error));
      }
      if (!full) await this.#pause(this.#options.lookMs);
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

  /** Waits `ms`, or less if the bell rings, the last hold is released or the inbox closes. */
  #pause(ms: number): Promise<void> {
    if (this.#rung || this.#holds === 0 || this.#closed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wake = done;
    });
  }

  #ring(): void {
    this.#rung = true;
    this.#wake?.();
  }

  /**
   * Watches this instance's bell until stopped, ringing at each change (and at the start: a
   * note may have come before the watch did). A stream that ends or fails is opened again after
   * REWATCH_MS; its end rings too.
   */
  #watch(): { stop(): Promise<void> } {
    let stopped = false;
    let reader: ReadableStreamDefaultReader<unknown> | undefined;
    let resting: (() => void) | undefined;
    const running = (async () => {
      while (!stopped) {
        reader = this.#store.watch([bellKey(this.id)]).getReader();
        try {
          while (!(await reader.read()).done) this.#ring();
        } catch (error) {
          if (!stopped) log.warn("instance inbox: watch failed", failure(error));
        }
        if (stopped) break;
        this.#ring();
        await new Promise<void>((resolve) => {
          resting = () => {
            clearTimeout(timer);
            resolve();
          };
          const timer = setTimeout(resting, REWATCH_MS);
        });
      }
    })();
    return {
      async stop() {
        stopped = true;
        resting?.();
        await reader?.cancel().catch(() => {});
        await running;
      },
    };
  }

  /** Stops following the inbox; waits for a look under way and the watch's end. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#wake?.();
    await this.#loop;
  }
}
