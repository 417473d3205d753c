/**
 * SHTTP, standalone HTTP CIR (digest §5.2; Android's fallback, and the one that fits hosts where
 * only HTTP reaches the server): each session with SHTTP agreed has its own unguessable URL,
 * `/cir/<token>`, announced as CIRHTTPAddress (1.3) or CIRURL (1.2). `GET` answers 200 when
 * something waits and 204 when not. With `?wait=<seconds>` (a long poll) a GET with nothing to
 * report is held, up to IMPS_CIR_HTTP_WAIT, and answered 200 the moment a wake-up comes: a
 * browser or a patient client is woken at once without a socket of its own. Held GETs are
 * bounded: one per session (a new one answers the old 204) and MAX_HELD in all.
 */
import type { Context, Hono } from "hono";
import type { GuardedInfo } from "../http_listener.ts";
import type { CirChannel, CirHost, WakeTarget } from "./channel.ts";

export interface ShttpOptions {
  /** Longest a GET is held, ms. */
  maxWaitMs: number;
}

/** Held GETs at most, all sessions together; past it a GET is answered at once. */
const MAX_HELD = 10_000;
/** A session whose URL was asked this recently is taken to ask again (Android asks every 10 s):
 * a wake-up for it is what its next GET will see. */
const LIVE_MS = 30_000;

type Answer = (status: 200 | 204 | 404) => void;

export class ShttpChannel implements CirChannel {
  readonly method = "SHTTP";
  readonly #held = new Map<string, Answer>();
  readonly #askedAt = new Map<string, number>();

  constructor(private readonly host: CirHost, private readonly options: ShttpOptions) {}

  routes(app: Hono): void {
    app.get("/cir/:token{[0-9a-f]{32}}", (c) => this.#get(c));
  }

  wake(target: WakeTarget): Promise<boolean> {
    const answer = this.#held.get(target.sessionId);
    if (answer) {
      answer(200);
      return Promise.resolve(true);
    }
    const asked = this.#askedAt.get(target.sessionId);
    return Promise.resolve(asked !== undefined && Date.now() - asked < LIVE_MS);
  }

  forget(sessionId: string): void {
    this.#held.get(sessionId)?.(404);
    this.#askedAt.delete(sessionId);
  }

  close(): Promise<void> {
    for (const answer of this.#held.values()) answer(204);
    return Promise.resolve();
  }

  async #get(c: Context): Promise<Response> {
    const target = await this.host.targetByToken(c.req.param("token")!);
    if (!target) return c.body(null, 404);
    const { sessionId } = target;
    this.#askedAt.set(sessionId, Date.now());
    this.host.connected(sessionId);
    const headers = { "cache-control": "no-store" };
    if (await this.host.waiting(sessionId)) return c.body(null, 200, headers);
    const wait = Number(c.req.query("wait"));
    if (!(wait > 0) || this.#held.size >= MAX_HELD) return c.body(null, 204, headers);

    this.#held.get(sessionId)?.(204);
    const holdMs = Math.min(wait * 1000, this.options.maxWaitMs);
    // The guarded listener would take a held answer for a slow handler and cut it.
    (c.env as Partial<GuardedInfo> | undefined)?.holdAnswer?.(holdMs);
    let status = await new Promise<200 | 204 | 404>((resolve) => {
      const timer = setTimeout(() => answer(204), holdMs);
      const answer: Answer = (status) => {
        clearTimeout(timer);
        if (this.#held.get(sessionId) === answer) this.#held.delete(sessionId);
        resolve(status);
      };
      // A client gone meanwhile is not noticed (the runtime's abort signal would also fire on
      // every answer): its GET is held to the end of the wait, or replaced by its next one.
      this.#held.set(sessionId, answer);
    });
    this.#askedAt.set(sessionId, Date.now());
    // At the end of the wait, what another instance (or a wake-up missed) left is still seen.
    if (status === 204 && await this.host.waiting(sessionId)) status = 200;
    return c.body(null, status, headers);
  }
}
