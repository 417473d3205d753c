/**
 * The server's HTTP listener, guarded. `Deno.serve` offers no bound on connections, no timeout
 * for a request head or body, and ends the process when its accept fails with EMFILE; so the
 * public port is ours: connections are accepted through a ConnectionGate (total and per-address
 * bounds, accept errors survived) and relayed byte for byte to a `Deno.serve` listening on the
 * loopback, which does the HTTP. The relay watches the request/response rhythm and closes a
 * connection that is too slow:
 *
 * - a request head must be complete `headTimeoutMs` after its first byte (or after the
 *   connection opened, for the first one): slow heads, and connections that never speak;
 * - the answer must start `bodyTimeoutMs` after the head ended: slow bodies (the answer needs
 *   the whole body), and handlers slower than any client would wait;
 * - a connection idle between requests is closed after `idleTimeoutMs`.
 *
 * Two kinds of request leave that rhythm, on purpose: a handler that holds its answer (a long
 * poll) says so with `info.holdAnswer(ms)`, which moves that request's deadline; and an answer
 * `101 Switching Protocols` (a WebSocket) ends the HTTP of the connection: from then on it is
 * relayed without deadlines, the new protocol's own limits applying (the WebSocket's ping/pong).
 *
 * The handler gets the client's own address as `info.remoteAddr`, as from `Deno.serve`.
 * TLS, when configured, ends here; the relay to the inner server is plain.
 */
import { log } from "../observe/log.ts";
import {
  acceptLoop,
  closeQuietly,
  ConnectionGate,
  descriptorsForConnections,
} from "./connection_gate.ts";

export interface GuardedHttpOptions {
  hostname: string;
  port: number;
  cert?: string;
  key?: string;
  maxConnections: number;
  maxPerAddress: number;
  headTimeoutMs: number;
  bodyTimeoutMs: number;
  idleTimeoutMs: number;
  log?: (message: string) => void;
}

export interface GuardedHttpServer {
  addr: Deno.NetAddr;
  gate: ConnectionGate;
  /** Stops accepting, lets the requests in progress finish and their answers reach the clients
   * (within their deadlines), then closes every connection and the inner server. */
  shutdown(): Promise<void>;
}

/** What a handler is given beside the request, as `Deno.serve` gives it, and more. */
export interface GuardedInfo {
  /** The client's own address. */
  remoteAddr: Deno.NetAddr;
  /**
   * Lets the answer to this request start up to `ms` later than the body timeout allows: for a
   * handler that holds its answer on purpose (a long poll), having checked who asks.
   */
  holdAnswer(ms: number): void;
  /**
   * Closes the client's connection at once: for a protocol the connection was upgraded to,
   * whose peer does not answer that protocol's own close.
   */
  closeConnection(): void;
}

type Handler = (request: Request, info: GuardedInfo) => Response | Promise<Response>;

const RELAY_BUFFER = 64 * 1024;
/** How long a stop waits for the relays to pass on the inner server's last answers. */
const SHUTDOWN_GRACE_MS = 1000;

export function serveGuarded(options: GuardedHttpOptions, handler: Handler): GuardedHttpServer {
  const gate = new ConnectionGate({
    maxConnections: options.maxConnections,
    maxPerAddress: options.maxPerAddress,
    log: options.log ?? ((message) => log.warn(message)),
  });
  /** What the handler is given for each relayed connection, by the relay's local port (what the
   * inner server sees as the remote port). */
  const clients = new Map<number, GuardedInfo>();
  const innerHandler = (request: Request, info: Deno.ServeHandlerInfo<Deno.NetAddr>) => {
    const client = clients.get(info.remoteAddr.port);
    // Only the relay reaches the inner server; anyone else on this host bypassing the gate is not.
    if (!client) return new Response("Forbidden", { status: 403 });
    return handler(request, client);
  };

  let inner = startInner(innerHandler);
  let stopping = false;
  const watch = (server: Deno.HttpServer<Deno.NetAddr>) => {
    // An accept failure ends Deno.serve's loop: report it and start a new inner server, rather
    // than let the rejection end the process. Starting one needs a descriptor too: retried.
    server.finished.catch(async (error) => {
      for (let backoff = 5; !stopping; backoff = Math.min(1000, backoff * 2)) {
        gate.report("inner", `inner HTTP server stopped (${(error as Error).message}); restarting`);
        try {
          inner = startInner(innerHandler);
          watch(inner);
          return;
        } catch (failure) {
          error = failure;
          await new Promise((resolve) => setTimeout(resolve, backoff));
        }
      }
    });
  };
  watch(inner);

  const listener = options.cert && options.key
    ? Deno.listenTls({
      hostname: options.hostname,
      port: options.port,
      cert: options.cert,
      key: options.key,
    })
    : Deno.listen({ hostname: options.hostname, port: options.port });
  const open = new Set<Deno.Conn>();
  const watched = new Set<Watched>();
  const shortest = Math.min(options.headTimeoutMs, options.bodyTimeoutMs, options.idleTimeoutMs);
  const stopSweep = deadlineSweep(watched, Math.max(20, Math.min(1000, shortest / 4)));

  const relays = new Set<Promise<void>>();
  const relay = (client: Deno.Conn): Promise<void> => {
    const relaying = relayTo(client);
    relays.add(relaying);
    return relaying.finally(() => relays.delete(relaying));
  };
  const relayTo = async (client: Deno.Conn): Promise<void> => {
    open.add(client);
    let upstream: Deno.TcpConn | undefined;
    try {
      upstream = await Deno.connect({ hostname: "127.0.0.1", port: inner.addr.port });
      upstream.setNoDelay(true);
      open.add(upstream);
      const port = (upstream.localAddr as Deno.NetAddr).port;
      const relayed = new RelayedConnection(client, upstream, options);
      clients.set(port, {
        remoteAddr: client.remoteAddr as Deno.NetAddr,
        holdAnswer: (ms) => relayed.holdAnswer(ms),
        closeConnection: () => relayed.close(),
      });
      try {
        await relayed.run(watched);
      } finally {
        clients.delete(port);
      }
    } catch (error) {
      if (upstream === undefined) {
        gate.report("relay", `cannot reach the inner HTTP server: ${(error as Error).message}`);
      }
    } finally {
      for (const conn of [client, upstream]) {
        if (!conn) continue;
        open.delete(conn);
        closeQuietly(conn);
      }
    }
  };
  const accepting = acceptLoop(listener, gate, relay);

  return {
    addr: listener.addr as Deno.NetAddr,
    gate,
    async shutdown() {
      stopping = true;
      listener.close();
      await accepting;
      // The inner server finishes what it has begun and ends its connections; the relays pass
      // the last answers on and end with them. What still holds on (a WebSocket) is closed.
      await inner.shutdown();
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        Promise.all(relays),
        new Promise((resolve) => timer = setTimeout(resolve, SHUTDOWN_GRACE_MS)),
      ]);
      clearTimeout(timer);
      stopSweep();
      for (const conn of open) closeQuietly(conn);
      await Promise.all(relays);
      gate.close();
    },
  };
}

function startInner(
  handler: (
    request: Request,
    info: Deno.ServeHandlerInfo<Deno.NetAddr>,
  ) => Response | Promise<Response>,
): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, handler);
}

/** Where a relayed connection is: in a request head, between its head and the start of its
 * answer, idle between requests, or no longer HTTP (after a 101). */
type Phase = "head" | "body" | "idle" | "upgraded";

/** A relayed connection's deadline, checked by the listener's sweep. */
interface Watched {
  /** `performance.now()` past which the connection is closed. */
  deadline: number;
  close(): void;
}

/**
 * Closes the watched connections whose deadline passed, every `tickMs`: one timer for all of
 * them, so that a request costs no timer of its own (a phase change only moves a number).
 */
function deadlineSweep(watched: Set<Watched>, tickMs: number): () => void {
  const timer = setInterval(() => {
    const now = performance.now();
    for (const w of watched) if (now >= w.deadline) w.close();
  }, tickMs);
  return () => clearInterval(timer);
}

/** The status line's start of an answer that turns the connection into another protocol. */
const SWITCHING_PROTOCOLS = new TextEncoder().encode("HTTP/1.1 101 ");

/**
 * One client connection relayed to the inner server: bytes copied both ways until either side
 * ends, the connection closed when its deadline passes. The phase follows the traffic: client
 * bytes after an answer start a head; the blank line ends it; the first answer bytes end the
 * request, or, when they are a 101, end the HTTP.
 */
class RelayedConnection implements Watched {
  deadline: number;
  #phase: Phase = "head";
  /** How many bytes of CR LF CR LF the head's end has matched so far (it may span reads). */
  #headEndMatched = 0;
  /** How many bytes of SWITCHING_PROTOCOLS the answer's start has matched so far. */
  #statusMatched = 0;
  #watched?: Set<Watched>;

  constructor(
    private readonly client: Deno.Conn,
    private readonly upstream: Deno.Conn,
    private readonly options: Pick<
      GuardedHttpOptions,
      "headTimeoutMs" | "bodyTimeoutMs" | "idleTimeoutMs"
    >,
  ) {
    this.deadline = performance.now() + options.headTimeoutMs;
  }

  close(): void {
    closeQuietly(this.client);
    closeQuietly(this.upstream);
  }

  holdAnswer(ms: number): void {
    if (this.#phase !== "body") return;
    this.deadline = Math.max(this.deadline, performance.now() + ms + this.options.bodyTimeoutMs);
  }

  async run(watched: Set<Watched>): Promise<void> {
    this.#watched = watched;
    watched.add(this);
    // The client may half-close after its request and still read the answer: the connection
    // ends with the server's side, or when either side fails (closing both ends the other's
    // read).
    const reading = this.#fromClient().catch(() => this.close());
    try {
      await this.#fromServer();
    } catch {
      // closed by a deadline or by the client
    } finally {
      watched.delete(this);
      this.close();
      await reading;
    }
  }

  async #fromClient(): Promise<void> {
    const buffer = new Uint8Array(RELAY_BUFFER);
    for (;;) {
      const n = await this.client.read(buffer);
      if (n === null) break;
      if (this.#phase === "idle") {
        this.#phase = "head";
        this.#headEndMatched = 0;
        this.deadline = performance.now() + this.options.headTimeoutMs;
      }
      if (this.#phase === "head") {
        this.#headEndMatched = scanHeadEnd(buffer, n, this.#headEndMatched);
        if (this.#headEndMatched === 4) {
          this.#phase = "body";
          this.#statusMatched = 0;
          this.deadline = performance.now() + this.options.bodyTimeoutMs;
        }
      }
      await writeAll(this.upstream, buffer.subarray(0, n));
    }
    await this.upstream.closeWrite().catch(() => {});
  }

  async #fromServer(): Promise<void> {
    const buffer = new Uint8Array(RELAY_BUFFER);
    for (;;) {
      const n = await this.upstream.read(buffer);
      if (n === null) break;
      if (this.#phase === "body") this.#answerStarts(buffer, n);
      else if (this.#phase === "idle") {
        this.deadline = performance.now() + this.options.idleTimeoutMs;
      }
      await writeAll(this.client, buffer.subarray(0, n));
    }
  }

  /** The first bytes of an answer: the request is done, or the connection is no longer HTTP. */
  #answerStarts(buffer: Uint8Array, n: number): void {
    const want = SWITCHING_PROTOCOLS.length - this.#statusMatched;
    const seen = Math.min(want, n);
    for (let i = 0; i < seen; i++) {
      if (buffer[i] !== SWITCHING_PROTOCOLS[this.#statusMatched + i]) {
        this.#phase = "idle";
        this.deadline = performance.now() + this.options.idleTimeoutMs;
        return;
      }
    }
    this.#statusMatched += seen;
    if (this.#statusMatched < SWITCHING_PROTOCOLS.length) return; // the status line goes on
    this.#phase = "upgraded";
    this.#watched?.delete(this);
  }
}

/** Continues matching CR LF CR LF over `buffer[0..n)`, from `matched` bytes of it already seen
 * (it may span reads); 4 once found. Jumps from CR to CR with the native `indexOf`. */
function scanHeadEnd(buffer: Uint8Array, n: number, matched: number): number {
  const view = buffer.subarray(0, n);
  const expect = (i: number, byte: number) => i < n && view[i] === byte;
  // A match cut by the previous read goes on here, or starts over.
  if (matched > 0) {
    const rest = [13, 10, 13, 10].slice(matched);
    let i = 0;
    while (i < rest.length && expect(i, rest[i])) i++;
    if (i === rest.length) return 4;
    if (i === n) return matched + i;
  }
  for (let cr = view.indexOf(13); cr !== -1; cr = view.indexOf(13, cr + 1)) {
    if (!expect(cr + 1, 10)) {
      if (cr + 1 >= n) return 1;
      continue;
    }
    if (!expect(cr + 2, 13)) {
      if (cr + 2 >= n) return 2;
      continue;
    }
    if (expect(cr + 3, 10)) return 4;
    if (cr + 3 >= n) return 3;
  }
  return 0;
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) written += await conn.write(bytes.subarray(written));
}

/** Descriptors one relayed connection takes: the client's, and both ends of the relay's. */
const DESCRIPTORS_PER_CONNECTION = 3;

/**
 * Connections the process can hold within its open-file limit (`ulimit -n`), so that the bound
 * is met before EMFILE: what the limit leaves for connections, less what `takenElsewhere`
 * (another listener's bound, STCP's, one descriptor each) takes of it, at most half; three
 * descriptors each; at most 10,000, and 1,000 where the limit cannot be read.
 */
export function connectionsForFileLimit(takenElsewhere = 0): number {
  const descriptors = descriptorsForConnections();
  if (descriptors === undefined) return 1000;
  const ours = descriptors - Math.min(takenElsewhere, descriptors / 2);
  return Math.max(1, Math.min(10_000, Math.floor(ours / DESCRIPTORS_PER_CONNECTION)));
}
