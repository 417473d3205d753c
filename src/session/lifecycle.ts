/**
 * The life of a CSP session: start at login, keep alive, end (logout, expiry, forced
 * disconnect), and the hooks service elements register to act on starts and ends (presence
 * updates OnlineStatus there).
 */
import type { Config } from "../config.ts";
import type { Mutation, Store } from "../store/kv.ts";
import type { OutboxRepo } from "../store/outbox.ts";
import type { SessionEnd, SessionRecord, SessionRepo } from "../store/sessions.ts";
import { randomHex } from "../util/ids.ts";

export type SessionStartHook = (session: SessionRecord) => Promise<void>;
export type SessionEndHook = (session: SessionRecord, reason: SessionEnd) => Promise<void>;

export type SessionCheck =
  | { state: "valid"; session: SessionRecord }
  | { state: "disconnect"; session: SessionRecord }
  | { state: "expired" }
  | { state: "unknown" };

/** Largest number of mutations put into one write when a session's leftovers are cleared. */
const CLEAR_CHUNK = 500;

/** How old an end whose hooks never finished must be before the sweep acts on it: older than
 * any end still running in a process sharing the store. */
const UNFINISHED_END_AGE_MS = 60_000;

export class SessionLifecycle {
  readonly #startHooks: SessionStartHook[] = [];
  readonly #endHooks: SessionEndHook[] = [];
  /** Sessions whose end is running in this process. */
  readonly #ending = new Set<string>();

  constructor(
    private readonly config: Config,
    private readonly store: Store,
    readonly repo: SessionRepo,
    private readonly outbox: OutboxRepo,
  ) {}

  onStart(hook: SessionStartHook): void {
    this.#startHooks.push(hook);
  }

  onEnd(hook: SessionEndHook): void {
    this.#endHooks.push(hook);
  }

  /** Keep-alive time the server grants for a requested one (seconds). */
  negotiateTtl(requested: number | undefined): number {
    if (requested === undefined || !Number.isFinite(requested)) return this.config.ttlDefault;
    return Math.min(this.config.ttlMax, Math.max(this.config.ttlMin, Math.floor(requested)));
  }

  /**
   * Starts a session. A user holds at most IMPS_SESSIONS_PER_USER: the oldest end to make room
   * (a phone that lost its session logs in again rather than resumes; refusing it would lock the
   * user out until the lost ones expire).
   */
  async start(
    fields: Omit<SessionRecord, "id" | "expiresAt" | "createdAt">,
  ): Promise<SessionRecord> {
    const held = await this.repo.listByUser(fields.userId);
    const surplus = held.length - this.config.sessionsPerUser + 1;
    if (surplus > 0) {
      held.sort((a, b) => a.createdAt - b.createdAt);
      for (const oldest of held.slice(0, surplus)) await this.end(oldest, "disconnected");
    }
    const now = Date.now();
    const session: SessionRecord = {
      ...fields,
      id: randomHex(16),
      createdAt: now,
      expiresAt: now + fields.ttl * 1000,
    };
    await this.repo.create(session);
    for (const hook of this.#startHooks) await hook(session);
    return session;
  }

  /** Looks a session id up and says what the request should be told. */
  async check(id: string | undefined, now = Date.now()): Promise<SessionCheck> {
    if (!id) return { state: "unknown" };
    const session = await this.repo.get(id);
    if (!session) {
      return (await this.repo.goneReason(id)) === "expired"
        ? { state: "expired" }
        : { state: "unknown" };
    }
    if (session.disconnect) return { state: "disconnect", session };
    if (session.expiresAt <= now) {
      await this.end(session, "expired");
      return { state: "expired" };
    }
    return { state: "valid", session };
  }

  /**
   * Pushes the expiry forward after client traffic. Rewritten only once half the keep-alive time
   * is used up, so a busy session costs no extra write per request.
   */
  async touch(session: SessionRecord, now = Date.now()): Promise<SessionRecord> {
    if (session.expiresAt - now > (session.ttl * 1000) / 2) return session;
    const updated = { ...session, expiresAt: now + session.ttl * 1000 };
    await this.repo.update(updated, session.expiresAt);
    return updated;
  }

  async update(session: SessionRecord, changes: Partial<SessionRecord>): Promise<SessionRecord> {
    const updated = { ...session, ...changes };
    await this.repo.update(updated, session.expiresAt);
    return updated;
  }

  /**
   * Ends a session: record, indexes and queued transactions go, then the end hooks run (the
   * user goes offline, leaves groups, …). The first write also notes that the end is to be acted
   * on, and that note goes once every hook has run: if the process dies in between, the sweep
   * runs the hooks again (they must bear running twice).
   */
  async end(session: SessionRecord, reason: SessionEnd): Promise<void> {
    this.#ending.add(session.id);
    try {
      const mutations: Mutation[] = [
        ...this.repo.endMutations(session, reason),
        ...await this.outbox.clearMutations(session.id),
      ];
      for (let i = 0; i < mutations.length; i += CLEAR_CHUNK) {
        await this.store.write(...mutations.slice(i, i + CLEAR_CHUNK));
      }
      await this.#runEndHooks(session, reason);
    } finally {
      this.#ending.delete(session.id);
    }
  }

  async #runEndHooks(session: SessionRecord, reason: SessionEnd): Promise<void> {
    for (const hook of this.#endHooks) await hook(session, reason);
    await this.repo.endHandled(session.id);
  }

  /** The live sessions of `userId`, or of everyone. */
  async list(userId?: string, now = Date.now()): Promise<SessionRecord[]> {
    if (userId !== undefined) return await this.repo.listByUser(userId);
    const live = [];
    for await (const session of this.repo.all()) if (session.expiresAt > now) live.push(session);
    return live;
  }

  /** Live sessions counted by CSP version and the CIR method they prefer, `none` for those
   * that poll (the imps_sessions gauge). */
  async countByKind(now = Date.now()): Promise<Array<[Record<string, string>, number]>> {
    const counts = new Map<string, { labels: Record<string, string>; count: number }>();
    for await (const session of this.repo.all()) {
      if (session.expiresAt <= now) continue;
      const cir = session.cir?.methods[0] ?? "none";
      const key = `${session.version} ${cir}`;
      const entry = counts.get(key);
      if (entry) entry.count++;
      else counts.set(key, { labels: { version: session.version, cir }, count: 1 });
    }
    return [...counts.values()].map(({ labels, count }) => [labels, count]);
  }

  /** Marks every session of a user for a forced Disconnect at its next request. */
  async disconnectUser(userId: string, code: number, description: string): Promise<number> {
    const sessions = await this.repo.listByUser(userId);
    for (const s of sessions) await this.update(s, { disconnect: { code, description } });
    return sessions.length;
  }

  /** Ends every session whose time ran out, and finishes ends a crash interrupted; returns how
   * many sessions it ended. */
  async sweep(now = Date.now()): Promise<number> {
    const expired = await this.repo.expired(now);
    for (const s of expired) await this.end(s, "expired");
    for (const { record, reason } of await this.repo.unhandledEnds(now - UNFINISHED_END_AGE_MS)) {
      if (this.#ending.has(record.id)) continue;
      await this.#runEndHooks(record, reason);
    }
    return expired.length;
  }
}
