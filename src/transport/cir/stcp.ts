/**
 * STCP, standalone TCP CIR (digest §5.2; Android's default, Nokia's TCP watcher): the client
 * connects to the announced TCPAddress/TCPPort and says `HELO <SessionID>`; the server answers
 * `OK` and from then on writes a `WVCI <version> <cookie>` line whenever something waits (one at
 * once if something already does). `PING` is answered `OK` and keeps the connection; a session
 * unknown or without STCP agreed, a line that is none of these, or one too long closes it.
 *
 * Bounds: connections in all and per address (the guard), one live connection per session (a
 * new HELO replaces the old), a time to say HELO, a time the connection may stay silent, output
 * the client leaves unread, and an address whose HELOs keep failing is turned away for a while,
 * so a stream of guessed session ids costs its sender its own connections and never the store's
 * time for everyone else.
 *
 * Sockets are node:net's (node:tls's with TLS): an idle one costs the runtime less memory than a
 * Deno.Conn holding a read pending, which matters at tens of thousands of idle phones.
 */
import type { Buffer } from "node:buffer";
import net from "node:net";
import tls from "node:tls";
import {
  type CirChannel,
  type CirHost,
  SESSION_ID_RE,
  type WakeTarget,
  wvciLine,
} from "./channel.ts";
import { ConnectionGuard } from "./guard.ts";
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
  socket: net.Socket;
  address: string;
  release: () => void;
  /** Set by the HELO that was answered OK. */
  sessionId?: string;
  /** When it is closed unless the client says something (HELO first, then PING). */
  deadline: number;
  /** What was read after the last line end. */
  rest: string;
}

/** The longest line read: `HELO ` and a session id, with room for spaces and CRLF. */
const LINE_MAX = 64;
/** The most read at once: a few lines sent together (HELO and PING). */
const CHUNK_MAX = 4 * LINE_MAX;
/** Output left unread by the client, bytes, before it is taken not to read any more. */
const MAX_UNSENT = 1024;
/** Failed HELOs an address may make (refilled at one a minute) before it is turned away. */
const HELO_FAILURES = 10;
/** How often deadlines are checked. */
const SWEEP_MS = 1000;

export class StcpChannel implements CirChannel {
  readonly method = "STCP";
  readonly #links = new Set<Link>();
  readonly #bySession = new Map<string, Link>();
  readonly #failures = new RateLimit({ burst: HELO_FAILURES, perSecond: 1 / 60 });
  readonly #guard: ConnectionGuard;
  readonly #sweeper: ReturnType<typeof setInterval>;

  private constructor(
    private readonly host: CirHost,
    private readonly server: net.Server,
    private readonly options: StcpOptions,
  ) {
    this.#guard = new ConnectionGuard(options);
    this.#sweeper = setInterval(() => this.#sweep(Date.now()), SWEEP_MS);
    Deno.unrefTimer(this.#sweeper);
  }

  /** Listens on the configured address; rejects if it cannot (in use, no permission). */
  static async listen(host: CirHost, options: StcpOptions): Promise<StcpChannel> {
    const server = options.tls
      ? tls.createServer({
        cert: options.tls.cert,
        key: options.tls.key,
        // A handshake is bounded like the HELO that follows it.
        handshakeTimeout: options.heloTimeoutMs,
      })
      : net.createServer();
    // Connections still in a TLS handshake count too.
    server.maxConnections = options.maxConnections;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port, options.hostname, () => {
        server.off("error", reject);
        resolve();
      });
    });
    const channel = new StcpChannel(host, server, options);
    server.on(options.tls ? "secureConnection" : "connection", (socket) => channel.#accept(socket));
    // A failed accept or handshake concerns that connection alone.
    server.on("error", () => {});
    server.on("tlsClientError", (_error: Error, socket: net.Socket) => socket.destroy());
    return channel;
  }

  /** The port bound (the one announced as TCPPort). */
  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  /** Connections held now. */
  get connections(): number {
    return this.#guard.open;
  }

  wake(target: WakeTarget, line: string): Promise<boolean> {
    const link = this.#bySession.get(target.sessionId);
    return Promise.resolve(link !== undefined && this.#send(link, `${line}\r\n`));
  }

  forget(sessionId: string): void {
    const link = this.#bySession.get(sessionId);
    if (link) this.#drop(link);
  }

  async close(): Promise<void> {
    clearInterval(this.#sweeper);
    const closed = new Promise((resolve) => this.server.close(resolve));
    for (const link of this.#links) this.#drop(link);
    await closed;
  }

  #accept(socket: net.Socket): void {
    const address = socket.remoteAddress ?? "unknown";
    const release = this.#failures.exhausted(address) ? undefined : this.#guard.admit(address);
    if (!release) {
      socket.destroy();
      return;
    }
    const link: Link = {
      socket,
      address,
      release,
      deadline: Date.now() + this.options.heloTimeoutMs,
      rest: "",
    };
    this.#links.add(link);
    // A wake-up is one small write that should leave at once.
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.#read(link, chunk));
    socket.on("error", () => this.#drop(link));
    socket.on("close", () => this.#drop(link));
  }

  /** Takes the lines of a chunk, one after another: reading pauses while a HELO is looked up. */
  async #read(link: Link, chunk: Buffer): Promise<void> {
    if (link.rest.length + chunk.length > CHUNK_MAX) return this.#drop(link);
    let text = link.rest + chunk.toString("latin1");
    link.rest = "";
    for (let end = text.indexOf("\n"); end !== -1; end = text.indexOf("\n")) {
      const line = text.slice(0, end).trim();
      text = text.slice(end + 1);
      link.socket.pause();
      const keep = await this.#line(link, line).catch(() => false);
      if (!keep || !this.#links.has(link)) return this.#drop(link);
      link.socket.resume();
    }
    // No line end within a line's length: not a client.
    if (text.length >= LINE_MAX) return this.#drop(link);
    link.rest = text;
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
        return this.#send(link, "OK\r\n");
      default:
        return false;
    }
  }

  async #helo(link: Link, sessionId: string): Promise<boolean> {
    if (link.sessionId !== undefined) {
      // A connection serves one session; repeating its own HELO is answered again.
      return sessionId === link.sessionId && this.#send(link, "OK\r\n");
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
    if (!this.#send(link, "OK\r\n")) return false;
    this.host.connected(sessionId);
    // What waited while the client was away is announced at once (Baraza does so too).
    return !await this.host.waiting(sessionId) || this.#send(link, `${wvciLine(target)}\r\n`);
  }

  /** Queues `text` for the client; false (and the link dropped) if it no longer reads. */
  #send(link: Link, text: string): boolean {
    const { socket } = link;
    if (!this.#links.has(link) || socket.destroyed || socket.writableLength > MAX_UNSENT) {
      this.#drop(link);
      return false;
    }
    socket.write(text);
    return true;
  }

  #sweep(now: number): void {
    for (const link of this.#links) if (now >= link.deadline) this.#drop(link);
  }

  #drop(link: Link): void {
    if (!this.#links.delete(link)) return;
    if (link.sessionId !== undefined && this.#bySession.get(link.sessionId) === link) {
      this.#bySession.delete(link.sessionId);
    }
    link.release();
    link.socket.destroy();
  }
}
