/**
 * STCP, standalone TCP CIR (digest §5.2; Android's default, Nokia's TCP watcher): the client
 * connects to the announced TCPAddress/TCPPort and says `HELO <SessionID>`; the server answers
 * `OK` and from then on writes a `WVCI <version> <cookie>` line whenever something waits (one at
 * once if something already does). `PING` is answered `OK` and keeps the connection; a session
 * unknown or without STCP agreed, a line that is none of these, or one too long closes it.
 *
 * Bounds: connections in all and per address (the guard), one live connection per session (a
 * new HELO replaces the old), a time to say HELO, a time the connection may stay silent, and an
 * address whose HELOs keep failing is turned away for a while, so a stream of guessed session
 * ids costs it its own connections and never the store's time for everyone else.
 */
import {
  type CirChannel,
  type CirHost,
  SESSION_ID_RE,
  type WakeTarget,
  wvciLine,
} from "./channel.ts";
import { acceptLoop, closeQuietly, ConnectionGuard } from "./guard.ts";
import { RateLimit } from "./rate.ts";

export interface StcpOptions {
  hostname: string;
  /** 0 picks a free port. */
  port: number;
  /** PEM certificate and key: serve TLS. */
  tls?: { cert: string; key: string };
  maxConnections: number;
  maxPerAddress: number;
  heloTimeoutMs: number;
  idleTimeoutMs: number;
}

/** One accepted connection. */
interface Link {
  conn: Deno.Conn;
  address: string;
  /** Set by the HELO that was answered OK. */
  sessionId?: string;
  /** When it is closed unless the client says something (HELO first, then PING). */
  deadline: number;
  /** Writes not finished yet: a client that stops reading is dropped rather than queued for. */
  writing: number;
}

/** The longest line read: `HELO ` and a session id, with room for spaces and CRLF. */
const LINE_MAX = 64;
/** Writes left unfinished before the client is taken not to read any more. */
const MAX_WRITING = 4;
/** Failed HELOs an address may make (refilled at one a minute) before it is turned away. */
const HELO_FAILURES = 10;
/** How often deadlines are checked. */
const SWEEP_MS = 1000;

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const OK = encoder.encode("OK\r\n");

export class StcpChannel implements CirChannel {
  readonly method = "STCP";
  readonly #links = new Set<Link>();
  readonly #bySession = new Map<string, Link>();
  readonly #failures = new RateLimit({ burst: HELO_FAILURES, perSecond: 1 / 60 });
  readonly #guard: ConnectionGuard;
  readonly #accepting: Promise<void>;
  readonly #sweeper: ReturnType<typeof setInterval>;

  private constructor(
    private readonly host: CirHost,
    private readonly listener: Deno.Listener,
    private readonly options: StcpOptions,
  ) {
    this.#guard = new ConnectionGuard(options);
    this.#accepting = acceptLoop(
      listener,
      this.#guard,
      (conn, address) => this.#serve(conn, address),
    );
    this.#sweeper = setInterval(() => this.#sweep(Date.now()), SWEEP_MS);
    Deno.unrefTimer(this.#sweeper);
  }

  /** Listens on the configured address; throws if it cannot (in use, no permission). */
  static listen(host: CirHost, options: StcpOptions): StcpChannel {
    const address = { hostname: options.hostname, port: options.port };
    const listener = options.tls
      ? Deno.listenTls({ ...address, cert: options.tls.cert, key: options.tls.key })
      : Deno.listen(address);
    return new StcpChannel(host, listener, options);
  }

  /** The port bound (the one announced as TCPPort). */
  get port(): number {
    return (this.listener.addr as Deno.NetAddr).port;
  }

  /** Connections held now. */
  get connections(): number {
    return this.#guard.open;
  }

  async wake(target: WakeTarget, line: string): Promise<boolean> {
    const link = this.#bySession.get(target.sessionId);
    return link !== undefined && await this.#send(link, encoder.encode(`${line}\r\n`));
  }

  forget(sessionId: string): void {
    const link = this.#bySession.get(sessionId);
    if (link) this.#drop(link);
  }

  async close(): Promise<void> {
    clearInterval(this.#sweeper);
    closeQuietly(this.listener);
    for (const link of this.#links) this.#drop(link);
    await this.#accepting;
  }

  async #serve(conn: Deno.Conn, address: string): Promise<void> {
    if (this.#failures.exhausted(address)) {
      closeQuietly(conn);
      return;
    }
    const link: Link = {
      conn,
      address,
      deadline: Date.now() + this.options.heloTimeoutMs,
      writing: 0,
    };
    this.#links.add(link);
    // A wake-up is one small write that should leave at once.
    if ("setNoDelay" in conn) (conn as Deno.TcpConn).setNoDelay(true);
    const buffer = new Uint8Array(LINE_MAX);
    let length = 0;
    try {
      for (;;) {
        const read = await conn.read(buffer.subarray(length));
        if (read === null) return;
        length += read;
        let start = 0;
        for (let i = length - read; i < length; i++) {
          if (buffer[i] !== 0x0a) continue;
          const line = decoder.decode(buffer.subarray(start, i)).trim();
          start = i + 1;
          if (!await this.#line(link, line)) return;
        }
        buffer.copyWithin(0, start, length);
        length -= start;
        if (length === LINE_MAX) return; // no line end within a line's length: not a client
      }
    } catch {
      // Reset, timed out or closed by us: the link goes either way.
    } finally {
      this.#drop(link);
    }
  }

  /** Acts on one line from the client; false when the connection must close. */
  async #line(link: Link, line: string): Promise<boolean> {
    if (line === "") return true;
    const [word, argument, extra] = line.split(/\s+/);
    switch (word.toUpperCase()) {
      case "HELO":
        return extra === undefined && argument !== undefined && await this.#helo(link, argument);
      case "PING":
        if (link.sessionId === undefined) return false;
        link.deadline = Date.now() + this.options.idleTimeoutMs;
        return await this.#send(link, OK);
      default:
        return false;
    }
  }

  async #helo(link: Link, sessionId: string): Promise<boolean> {
    if (link.sessionId !== undefined) {
      // A connection serves one session; repeating its own HELO is answered again.
      return sessionId === link.sessionId && await this.#send(link, OK);
    }
    const target = SESSION_ID_RE.test(sessionId)
      ? await this.host.target(sessionId, "STCP")
      : undefined;
    if (!target) {
      this.#failures.take(link.address);
      return false;
    }
    if (!this.#links.has(link)) return false; // closed while the session was looked up
    const previous = this.#bySession.get(sessionId);
    if (previous) this.#drop(previous);
    link.sessionId = sessionId;
    link.deadline = Date.now() + this.options.idleTimeoutMs;
    this.#bySession.set(sessionId, link);
    if (!await this.#send(link, OK)) return false;
    this.host.connected(sessionId);
    // What waited while the client was away is announced at once (Baraza does so too).
    if (await this.host.waiting(sessionId)) {
      return await this.#send(link, encoder.encode(`${wvciLine(target)}\r\n`));
    }
    return true;
  }

  async #send(link: Link, bytes: Uint8Array): Promise<boolean> {
    if (!this.#links.has(link)) return false;
    if (link.writing >= MAX_WRITING) {
      this.#drop(link);
      return false;
    }
    link.writing++;
    try {
      for (let sent = 0; sent < bytes.length;) sent += await link.conn.write(bytes.subarray(sent));
      return true;
    } catch {
      this.#drop(link);
      return false;
    } finally {
      link.writing--;
    }
  }

  #sweep(now: number): void {
    for (const link of this.#links) if (now >= link.deadline) this.#drop(link);
  }

  #drop(link: Link): void {
    if (!this.#links.delete(link)) return;
    if (link.sessionId !== undefined && this.#bySession.get(link.sessionId) === link) {
      this.#bySession.delete(link.sessionId);
    }
    closeQuietly(link.conn);
  }
}
