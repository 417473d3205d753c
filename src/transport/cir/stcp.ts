/**
 * STCP, standalone TCP CIR (digest §5.2; Android's default, Nokia's TCP watcher): the client
 * connects to the announced TCPAddress/TCPPort and says `HELO <SessionID>`; the server answers
 * `OK` and from then on writes a `WVCI <version> <cookie>` line whenever something waits (one at
 * once if something already does). `PING` is answered `OK` and keeps the connection; a session
 * unknown or without STCP agreed, a line that is none of these, or one too long closes it.
 *
 * Bounds: connections in all and per address (a ConnectionGate, as for every listener), one live
 * connection per session (a new HELO replaces the old), a time to say HELO, a time the connection
 * may stay silent, output the client leaves unread, and an address whose HELOs keep failing is
 * turned away for a while, so a stream of guessed session ids costs its sender its own
 * connections and never the store's time for everyone else.
 *
 * Sockets are node:net's (node:tls's with TLS): an idle one costs the runtime less memory than a
 * Deno.Conn holding a read pending, which matters at tens of thousands of idle phones. The
 * runtime's node:net listener (Deno 2.9) stops accepting for good, silently, once an accept
 * fails for want of file descriptors; the listener is therefore checked every few seconds with
 * a connection of its own, and listens again when it takes none. (That connection is a Deno.Conn:
 * one node:net client socket in the process makes every server socket cost 1.4 KiB more heap.)
 */
import type { Buffer } from "node:buffer";
import net from "node:net";
import tls from "node:tls";
import { ConnectionGate } from "../connection_gate.ts";
import {
  type CirChannel,
  type CirHost,
  SESSION_ID_RE,
  type WakeTarget,
  wvciLine,
} from "./channel.ts";
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
  /** Where refused connections and failed accepts are reported (rate-limited). */
  log?: (message: string) => void;
  /** How often the listener is checked to be accepting; 5000 unless told. */
  checkIntervalMs?: number;
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
/** How long the check's connection may wait to be taken before the listener is found stuck. */
const ACCEPT_CHECK_TIMEOUT_MS = 3000;

export class StcpChannel implements CirChannel {
  readonly method = "STCP";
  readonly #links = new Set<Link>();
  readonly #bySession = new Map<string, Link>();
  readonly #failures = new RateLimit({ burst: HELO_FAILURES, perSecond: 1 / 60 });
  readonly #gate: ConnectionGate;
  #sweeper?: ReturnType<typeof setInterval>;
  #checker?: ReturnType<typeof setInterval>;
  #server!: net.Server;
  /** The address bound: the port announced as TCPPort, the host listened on again. */
  #bound!: net.AddressInfo;
  /** Connections the listener has taken: a check sees whether it still takes any. */
  #accepted = 0;
  /** The check of the listener under way. */
  #checking?: Promise<void>;
  /** The check under way: where its connection comes from, once known (undefined if it failed
   * or the check's time is over), and whether the listener took it. */
  #probe?: { from: Promise<Deno.NetAddr | undefined>; taken: boolean };
  #closed = false;
  readonly #acceptor: Acceptor = {
    taken: (socket) => this.#taken(socket),
    accept: (socket) => this.#accept(socket),
  };

  private constructor(private readonly host: CirHost, private readonly options: StcpOptions) {
    this.#gate = new ConnectionGate({
      maxConnections: options.maxConnections,
      maxPerAddress: options.maxPerAddress,
      log: options.log,
    });
  }

  /** Listens on the configured address; rejects if it cannot (in use, no permission). */
  static async listen(host: CirHost, options: StcpOptions): Promise<StcpChannel> {
    const channel = new StcpChannel(host, options);
    channel.#server = await listenOn(options.hostname, options.port, options, channel.#acceptor);
    channel.#bound = channel.#server.address() as net.AddressInfo;
    channel.#sweeper = setInterval(() => channel.#sweep(Date.now()), SWEEP_MS);
    Deno.unrefTimer(channel.#sweeper);
    channel.#checker = setInterval(
      () => channel.#checkAccepting(),
      options.checkIntervalMs ?? 5000,
    );
    Deno.unrefTimer(channel.#checker);
    return channel;
  }

  /** The port bound (the one announced as TCPPort). */
  get port(): number {
    return this.#bound.port;
  }

  /** The address and port bound, as a URL authority (`127.0.0.1:56732`, `[::]:56732`). */
  get address(): string {
    const { address, port } = this.#bound;
    return address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`;
  }

  /** Connections held now. */
  get connections(): number {
    return this.#gate.open;
  }

  /** Connections closed at once so far: over the total bound, or over one address's share. */
  get refused(): { readonly total: number; readonly address: number } {
    return this.#gate.refusedSoFar;
  }

  /** Connections held at most. */
  get limit(): number {
    return this.#gate.limit;
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
    this.#closed = true;
    clearInterval(this.#sweeper);
    clearInterval(this.#checker);
    await this.#checking;
    this.#gate.close();
    const closed = new Promise((resolve) => this.#server.close(resolve));
    for (const link of this.#links) this.#drop(link);
    await closed;
  }

  /**
   * Connects to the listener and waits for it to take that connection; when it takes none at all
   * meanwhile, the listener is closed and opened again (connections queued on it are lost;
   * held ones stay). Skipped while the listener is full (it then turns connections away unseen);
   * a check that cannot connect at all (out of descriptors itself) tells nothing: the next one
   * tries again. The check's connection is known among those taken by the port it comes from.
   */
  #checkAccepting(): void {
    if (this.#checking || this.#closed || this.#gate.open >= this.options.maxConnections) return;
    this.#checking = (async () => {
      if (!this.#server.listening) return await this.#listenAgain();
      const before = this.#accepted;
      const until = Date.now() + ACCEPT_CHECK_TIMEOUT_MS;
      // To a listener that takes nothing, a connect may hang (a full listen queue): it is given
      // up on at the check's end, and closed whenever it is made.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const connected = Deno.connect({
        hostname: loopbackFor(this.#bound.address),
        port: this.#bound.port,
      }).then((conn) => {
        const local = conn.localAddr as Deno.NetAddr;
        conn.close();
        return local;
      }, () => null);
      const known = Promise.race([
        connected,
        new Promise<undefined>((resolve) =>
          timer = setTimeout(() => resolve(undefined), until - Date.now())
        ),
      ]);
      const probe = { from: known.then((local) => local ?? undefined), taken: false };
      this.#probe = probe;
      const failed = await known === null;
      clearTimeout(timer);
      while (!probe.taken && !failed && !this.#closed && Date.now() < until) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      this.#probe = undefined;
      if (this.#accepted === before && !failed && !this.#closed) await this.#listenAgain();
    })().finally(() => this.#checking = undefined);
  }

  /**
   * A connection reached the listener (before any TLS handshake): the check's own is closed,
   * which is all it asks; a client's is served. While a check is under way, a connection taken
   * before the check's is known waits for it to be (at most the check's time).
   */
  async #taken(socket: net.Socket): Promise<void> {
    this.#accepted++;
    const probe = this.#probe;
    const from = probe && await probe.from;
    if (from && socket.remotePort === from.port && sameHost(socket.remoteAddress, from)) {
      probe.taken = true;
      socket.destroy();
    } else if (!this.options.tls && !socket.destroyed) this.#accept(socket);
  }

  async #listenAgain(): Promise<void> {
    if (this.#server.listening) {
      this.#gate.report("stuck", "listener stopped accepting; listening again");
      await new Promise((resolve) => this.#server.close(resolve));
    }
    try {
      this.#server = await listenOn(
        this.#bound.address,
        this.#bound.port,
        this.options,
        this.#acceptor,
      );
    } catch (error) {
      this.#gate.report("relisten", `cannot listen again: ${(error as Error).message}`);
    }
  }

  #accept(socket: net.Socket): void {
    const address = socket.remoteAddress ?? "unknown";
    const release = this.#failures.exhausted(address) ? undefined : this.#gate.admit(address);
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

/** What a listener hands its connections to. */
interface Acceptor {
  /** A connection reached the listener (before any TLS handshake). */
  taken(socket: net.Socket): void;
  /** Serves a client's connection (once its TLS handshake is done). */
  accept(socket: net.Socket): void;
}

/** A listening node:net (node:tls) server on `hostname`:`port`. */
async function listenOn(
  hostname: string,
  port: number,
  options: StcpOptions,
  acceptor: Acceptor,
): Promise<net.Server> {
  const server = options.tls
    ? tls.createServer({
      cert: options.tls.cert,
      key: options.tls.key,
      // A handshake is bounded like the HELO that follows it.
      handshakeTimeout: options.heloTimeoutMs,
    })
    : net.createServer();
  // Connections still in a TLS handshake count too (without TLS the gate counts them all).
  if (options.tls) server.maxConnections = options.maxConnections;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, hostname, () => {
      server.off("error", reject);
      resolve();
    });
  });
  server.on("connection", (socket: net.Socket) => acceptor.taken(socket));
  if (options.tls) server.on("secureConnection", (socket) => acceptor.accept(socket));
  // A failed accept or handshake concerns that connection alone.
  server.on("error", () => {});
  server.on("tlsClientError", (_error: Error, socket: net.Socket) => socket.destroy());
  return server;
}

/** Whether `address` (as node:net gives a remote one, IPv4 maybe mapped) is `local`'s host. */
function sameHost(address: string | undefined, local: Deno.NetAddr): boolean {
  return address === local.hostname || address === `::ffff:${local.hostname}`;
}

/** Where the listener on `address` is reached from this host. */
function loopbackFor(address: string): string {
  if (address === "0.0.0.0") return "127.0.0.1";
  if (address === "::") return "::1";
  return address;
}
