/**
 * Wakes sessions through the CIR methods they agreed. The outbox tells it, after each commit, of
 * the sessions (their queue) and users (their mailbox) that got something new: the same following
 * of the commits that keeps the Poll flag, so waking costs no look at the store. What one batch of
 * commits brings a session is one wake-up, and wake-ups of a session are at least `minGapMs`
 * apart; one told and not yet heard from is not told again until a check finds it still away.
 *
 * A wake-up tries the agreed methods in the client's order of preference and stops at the first
 * that reaches the client (a live STCP or WebSocket connection, a held or recent SHTTP GET, a
 * datagram or SMS sent); when none does, the client is left to poll, and 1.3 answers say CIR F
 * until a method works again. Nothing is lost either way: the data waits in the outbox until the
 * client polls and acknowledges it. A wake-up the client has not followed after CHECK_AFTER_MS
 * (a lost datagram) is sent again while something still waits, up to MAX_CHECKS times.
 *
 * Several instances on one store (shared mode): the instance a client's live channel reaches
 * (STCP HELO, WebSocket, SHTTP GET) records itself as the session's holder in the store; an
 * instance whose commit brings a session news it does not hold looks up the holders and passes
 * them the wake-up through their inbox (`store/instance_inbox.ts`), which a holder follows (a
 * watch or looks, IMPS_SHARED_WAKE) while it holds any channel. As the client's polls may reach any
 * instance, a holder does not know whether the client heard: each wake-up looks first whether
 * something is still due.
 */
import { log } from "../../observe/log.ts";
import type { CirService, ServerContext } from "../../session/handler.ts";
import type { CirRepo } from "../../store/cir.ts";
import type { SessionCir, SessionRecord } from "../../store/sessions.ts";
import {
  type CirChannel,
  type CirHost,
  type CirMethod,
  type WakeTarget,
  wvciLine,
} from "./channel.ts";

export interface DispatcherOptions {
  /** Shortest time between two wake-ups of one session, ms. */
  minGapMs: number;
  /** Where channel failures are reported (at most one line a minute per method). */
  log?: (message: string) => void;
}

/** What is known of one session woken by CIR. */
interface Entry {
  target: WakeTarget;
  /** When the last wake-up went out. */
  wokeAt: number;
  /** Whether the session was answered since (so it knows what waits). */
  heard: boolean;
  /** Whether the last wake-up reached no agreed method. */
  failed: boolean;
  /** Whether news came while the session was told and not heard from: it may have come too
   * late for the answer the session was getting, so it is looked at again once answered. */
  missed: boolean;
  /** A wake-up held back by the gap, or the check after one. */
  timer?: ReturnType<typeof setTimeout>;
  timerFor?: "wake" | "check";
  /** Wake-ups sent again by checks since the session was last heard. */
  checks: number;
}

/** How long a wake-up may go unfollowed before it is sent again (doubling each time). */
const CHECK_AFTER_MS = 30_000;
const MAX_CHECKS = 3;
const LOG_EVERY_MS = 60_000;
/** How often an instance holding channels looks whether their sessions still live (shared mode). */
const HELD_CHECK_MS = 60_000;
/** The kind of the notes passing wake-ups between instances. */
const WAKE_NOTE = "cir";

export class CirDispatcher implements CirHost, CirService {
  readonly #entries = new Map<string, Entry>();
  readonly #byUser = new Map<string, Set<string>>();
  readonly #byToken = new Map<string, string>();
  readonly #channels = new Map<string, CirChannel>();
  #enabled: ReadonlySet<string> = new Set();
  #closed = false;
  readonly #loggedAt = new Map<string, number>();
  /** Shared mode: sessions whose live channel this instance recorded holding. */
  readonly #held = new Set<string>();
  #releaseInbox?: () => void;

  constructor(
    private readonly server: ServerContext,
    private readonly repo: CirRepo,
    private readonly options: DispatcherOptions,
  ) {}

  /** Takes the channels on, reads the sessions woken before a restart and starts following the
   * outbox and the ends of sessions. */
  async start(channels: CirChannel[]): Promise<void> {
    for (const channel of channels) this.#channels.set(channel.method, channel);
    this.#enabled = new Set(this.#channels.keys());
    for (const entry of await this.repo.list()) this.#add(entry);
    this.server.outbox.onWaitingSessions({
      has: (sessionId) => this.#entries.has(sessionId),
      ofUser: (userId) => this.#byUser.get(userId),
    }, (sessionIds) => {
      const now = Date.now();
      for (const sessionId of sessionIds) {
        const entry = this.#entries.get(sessionId);
        if (entry) this.#trigger(entry, now);
      }
    });
    this.server.sessions.onEnd((session) => this.#ended(session));
    const inbox = this.server.instances;
    if (inbox) {
      inbox.on(WAKE_NOTE, (data) => this.#woken((data as { sessions: string[] }).sessions));
      this.#passNews(inbox.id);
    }
  }

  /** Shared mode: the news of this instance's commits for sessions other instances hold go to
   * them (gathered until the commit's listeners are done, as for the local wake-ups). */
  #passNews(me: string): void {
    let sessions = new Set<string>();
    let users = new Set<string>();
    let armed = false;
    const flush = async () => {
      armed = false;
      const [s, u] = [[...sessions], [...users]];
      sessions = new Set();
      users = new Set();
      const holders = await this.repo.holders(s, u);
      await Promise.all(
        [...holders].filter(([instance]) => instance !== me).map(([instance, ids]) =>
          this.server.instances!.post(instance, WAKE_NOTE, { sessions: [...ids] })
        ),
      );
    };
    this.server.outbox.onWaiting((owner, id) => {
      (owner === "session" ? sessions : users).add(id);
      if (!armed) {
        armed = true;
        queueMicrotask(() =>
          flush().catch((error) =>
            this.#log("shared", `passing wake-ups to other instances failed: ${error.message}`)
          )
        );
      }
    });
  }

  /** Another instance's commit brought news to sessions whose channel this one holds. */
  #woken(sessionIds: string[]): void {
    const now = Date.now();
    for (const sessionId of sessionIds) {
      const entry = this.#entries.get(sessionId);
      if (entry) this.#trigger(entry, now, true);
    }
  }

  get enabled(): ReadonlySet<string> {
    return this.#enabled;
  }

  get tcpPort(): number | undefined {
    return (this.#channels.get("STCP") as { port?: number } | undefined)?.port;
  }

  /** Sessions known to be woken by CIR. */
  get sessions(): number {
    return this.#entries.size;
  }

  async agreed(session: SessionRecord, previous?: SessionCir): Promise<void> {
    if (!session.cir) {
      if (previous) {
        this.#drop(session.id);
        await this.repo.remove(previous.token);
        if (this.server.instances) await this.repo.removeHolder(session.id, session.userId);
      }
      return;
    }
    const target: WakeTarget = {
      sessionId: session.id,
      userId: session.userId,
      version: session.version,
      cookie: session.cookie,
      cir: session.cir,
    };
    await this.repo.put(target, previous?.token);
    const methods = new Set(session.cir.methods);
    for (const channel of this.#channels.values()) {
      if (!methods.has(channel.method)) channel.forget?.(session.id);
    }
    this.#add(target);
  }

  answered(sessionId: string): boolean | undefined {
    const entry = this.#entries.get(sessionId);
    if (!entry) return undefined;
    entry.heard = true;
    entry.checks = 0;
    if (entry.timerFor === "check") this.#clearTimer(entry);
    if (entry.missed) {
      entry.missed = false;
      this.#trigger(entry, Date.now(), true);
    }
    return !entry.failed;
  }

  async target(sessionId: string, method: CirMethod): Promise<WakeTarget | undefined> {
    const check = await this.server.sessions.check(sessionId);
    if (check.state !== "valid" || !check.session.cir?.methods.includes(method)) return undefined;
    const known = this.#entries.get(sessionId);
    if (known) return known.target;
    // Agreed before this process knew of it (another instance, or a lost index entry).
    const { session } = check;
    const target: WakeTarget = {
      sessionId,
      userId: session.userId,
      version: session.version,
      cookie: session.cookie,
      cir: session.cir!,
    };
    this.#add(target);
    return target;
  }

  async targetByToken(token: string): Promise<WakeTarget | undefined> {
    // On a store this process serves alone, every token is known since start: a guessed one
    // costs no read.
    const sessionId = this.#byToken.get(token) ??
      (this.server.store.exclusive ? undefined : (await this.repo.get(token))?.sessionId);
    if (sessionId === undefined) return undefined;
    const target = await this.target(sessionId, "SHTTP");
    return target?.cir.token === token ? target : undefined;
  }

  waiting(sessionId: string): Promise<boolean> {
    return this.server.outbox.hasDeliverable(sessionId, Date.now());
  }

  connected(sessionId: string): void {
    const entry = this.#entries.get(sessionId);
    if (entry) entry.failed = false;
    const inbox = this.server.instances;
    if (!inbox || !entry) return;
    // Recorded at every contact: the client's next connection may have reached another instance.
    this.#held.add(sessionId);
    this.repo.putHolder(sessionId, entry.target.userId, inbox.id).catch((error) =>
      this.#log("shared", `recording a CIR channel's instance failed: ${error.message}`)
    );
    if (!this.#releaseInbox) {
      const release = inbox.hold();
      // A session may end on another instance, which this one does not hear of: looked at now
      // and then, so that the inbox is not looked into for sessions gone.
      const timer = setInterval(() => this.#forgetEnded().catch(() => {}), HELD_CHECK_MS);
      Deno.unrefTimer(timer);
      this.#releaseInbox = () => {
        clearInterval(timer);
        release();
      };
    }
  }

  /** Drops the held sessions that ended (on any instance). */
  async #forgetEnded(): Promise<void> {
    for (const sessionId of [...this.#held]) {
      if ((await this.server.sessions.check(sessionId)).state !== "valid") this.#drop(sessionId);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#releaseInbox?.();
    for (const entry of this.#entries.values()) this.#clearTimer(entry);
    await Promise.all([...this.#channels.values()].map((channel) => channel.close()));
  }

  #add(target: WakeTarget): void {
    const known = this.#entries.get(target.sessionId);
    if (known) {
      if (known.target.cir.token !== target.cir.token) this.#byToken.delete(known.target.cir.token);
      known.target = target;
    } else {
      this.#entries.set(target.sessionId, {
        target,
        wokeAt: -Infinity,
        heard: true,
        failed: false,
        missed: false,
        checks: 0,
      });
      let sessions = this.#byUser.get(target.userId);
      if (!sessions) this.#byUser.set(target.userId, sessions = new Set());
      sessions.add(target.sessionId);
    }
    this.#byToken.set(target.cir.token, target.sessionId);
  }

  #drop(sessionId: string): WakeTarget | undefined {
    const entry = this.#entries.get(sessionId);
    for (const channel of this.#channels.values()) channel.forget?.(sessionId);
    if (this.#held.delete(sessionId)) {
      if (this.#held.size === 0) {
        this.#releaseInbox?.();
        this.#releaseInbox = undefined;
      }
    }
    if (!entry) return undefined;
    this.#clearTimer(entry);
    this.#entries.delete(sessionId);
    this.#byToken.delete(entry.target.cir.token);
    const sessions = this.#byUser.get(entry.target.userId);
    sessions?.delete(sessionId);
    if (sessions?.size === 0) this.#byUser.delete(entry.target.userId);
    return entry.target;
  }

  async #ended(session: SessionRecord): Promise<void> {
    const target = this.#drop(session.id);
    const token = session.cir?.token ?? target?.cir.token;
    if (token !== undefined) await this.repo.remove(token);
    if (this.server.instances) await this.repo.removeHolder(session.id, session.userId);
  }

  /** Wakes the session now, or once the gap since its last wake-up has passed; `verify`: only
   * if something still waits then (a scheduled wake-up always looks again: the session may have
   * polled meanwhile). */
  #trigger(entry: Entry, now: number, verify = false): void {
    if (this.#closed || entry.timerFor === "wake") return; // one is on its way already
    if (this.server.instances) {
      // The client's answers may come from any instance: whether it heard is not known here.
      entry.heard = true;
      verify = true;
    }
    // Told and not heard from since: looked at again once it is (or by the check).
    if (!entry.heard && now - entry.wokeAt < CHECK_AFTER_MS) {
      entry.missed = true;
      return;
    }
    const gap = entry.wokeAt + this.options.minGapMs - now;
    if (gap > 0) this.#schedule(entry, "wake", gap);
    else void this.#wake(entry, verify);
  }

  #schedule(entry: Entry, kind: "wake" | "check", ms: number): void {
    this.#clearTimer(entry);
    entry.timerFor = kind;
    const timer = setTimeout(() => {
      entry.timer = entry.timerFor = undefined;
      if (kind === "wake") void this.#wake(entry, true);
      else void this.#check(entry);
    }, ms);
    Deno.unrefTimer(timer);
    entry.timer = timer;
  }

  #clearTimer(entry: Entry): void {
    if (entry.timer !== undefined) clearTimeout(entry.timer);
    entry.timer = entry.timerFor = undefined;
  }

  async #wake(entry: Entry, verify = false): Promise<void> {
    if (this.#closed) return;
    this.#clearTimer(entry);
    if (verify && !await this.waiting(entry.target.sessionId)) return;
    entry.wokeAt = Date.now();
    entry.heard = false;
    const { target } = entry;
    const line = wvciLine(target);
    for (const method of target.cir.methods) {
      const channel = this.#channels.get(method);
      if (!channel) continue;
      try {
        const sent = await channel.wake(target, line);
        this.server.metrics.cirWakeup(method, sent ? "sent" : "unreachable");
        if (sent) {
          entry.failed = false;
          if (this.#entries.get(target.sessionId) === entry && !entry.heard) {
            this.#schedule(entry, "check", CHECK_AFTER_MS << entry.checks);
          }
          return;
        }
      } catch (error) {
        this.server.metrics.cirWakeup(method, "failed");
        this.#log(method, `${method} wake-up failed: ${(error as Error).message}`);
      }
    }
    entry.failed = true;
  }

  /** A wake-up went unfollowed: sent again while something waits, a few times. */
  async #check(entry: Entry): Promise<void> {
    const { sessionId } = entry.target;
    if (entry.heard || entry.checks >= MAX_CHECKS || this.#entries.get(sessionId) !== entry) return;
    if (!await this.waiting(sessionId)) return;
    entry.checks++;
    entry.missed = false;
    await this.#wake(entry);
  }

  #log(kind: string, message: string): void {
    const now = Date.now();
    if (now - (this.#loggedAt.get(kind) ?? -Infinity) < LOG_EVERY_MS) return;
    this.#loggedAt.set(kind, now);
    (this.options.log ?? ((line) => log.warn(line)))(message);
  }
}
