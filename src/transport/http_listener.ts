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
 * The handler gets the client's own address as `info.remoteAddr`, as from `Deno.serve`.
 * TLS, when configured, ends here; the relay to the inner server is plain.
 */
import { log } from "../observe/log.ts";
import { acceptLoop, closeQuietly, ConnectionGate } from "./connection_gate.ts";

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
  /** Stops accepting, closes every connection and the inner server. */
  shutdown(): Promise<void>;
}

type Handler = (
  request: Request,
  info: { remoteAddr: Deno.NetAddr },
) => Response | Promise<Response>;

const RELAY_BUFFER = 64 * 1024;

export function serveGuarded(options: GuardedHttpOptions, handler: Handler): GuardedHttpServer {
  const gate = new ConnectionGate({
    maxConnections: options.maxConnections,
    maxPerAddress: options.maxPerAddress,
    log: options.log ?? ((message) => log.warn(message)),
  });
  /** The client address of each relayed connection, by the relay's local port (what the inner
   * server sees as the remote port). */
  const clients = new Map<number, Deno.NetAddr>();
  const innerHandler = (request: Request, info: Deno.ServeHandlerInfo<Deno.NetAddr>) => {
    const remoteAddr = clients.get(info.remoteAddr.port);
    // Only the relay reaches the inner server; anyone else on this host bypassing the gate is not.
    if (!remoteAddr) return new Response("Forbidden", { status: 403 });
    return handler(request, { remoteAddr });
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

  const relay = async (client: Deno.Conn): Promise<void> => {
    open.add(client);
    let upstream: Deno.TcpConn | undefined;
    try {
      upstream = await Deno.connect({ hostname: "127.0.0.1", port: inner.addr.port });
      upstream.setNoDelay(true);
      open.add(upstream);
      const port = (upstream.localAddr as Deno.NetAddr).port;
      clients.set(port, client.remoteAddr as Deno.NetAddr);
      try {
        await relayWithDeadlines(client, upstream, options, watched);
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
      stopSweep();
      listener.close();
      await accepting;
      for (const conn of open) closeQuietly(conn);
      gate.close();
      await inner.shutdown();
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

type Phase = "head" | "body" | "idle";

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

/**
 * Copies bytes both ways until either side ends; the connection is closed when its deadline
 * passes. The phase follows the traffic: client bytes after an answer start a head; the blank
 * line ends it; the first answer bytes end the request.
 */
async function relayWithDeadlines(
  client: Deno.Conn,
  upstream: Deno.Conn,
  options: Pick<GuardedHttpOptions, "headTimeoutMs" | "bodyTimeoutMs" | "idleTimeoutMs">,
  watched: Set<Watched>,
): Promise<void> {
  let phase: Phase = "head";
  /** How many bytes of CR LF CR LF the head's end has matched so far (it may span reads). */
  let matched = 0;
  const closeBoth = () => {
    closeQuietly(client);
    closeQuietly(upstream);
  };
  const watch: Watched = { deadline: performance.now() + options.headTimeoutMs, close: closeBoth };
  watched.add(watch);

  const fromClient = async () => {
    const buffer = new Uint8Array(RELAY_BUFFER);
    for (;;) {
      const n = await client.read(buffer);
      if (n === null) break;
      if (phase === "idle") {
        phase = "head";
        matched = 0;
        watch.deadline = performance.now() + options.headTimeoutMs;
      }
      if (phase === "head") {
        matched = scanHeadEnd(buffer, n, matched);
        if (matched === 4) {
          phase = "body";
          watch.deadline = performance.now() + options.bodyTimeoutMs;
        }
      }
      await writeAll(upstream, buffer.subarray(0, n));
    }
    await upstream.closeWrite().catch(() => {});
  };
  const fromServer = async () => {
    const buffer = new Uint8Array(RELAY_BUFFER);
    for (;;) {
      const n = await upstream.read(buffer);
      if (n === null) break;
      if (phase !== "head") {
        phase = "idle";
        watch.deadline = performance.now() + options.idleTimeoutMs;
      }
      await writeAll(client, buffer.subarray(0, n));
    }
  };
  // The client may half-close after its request and still read the answer: the connection ends
  // with the server's side, or when either side fails (closing both ends the other's read).
  const reading = fromClient().catch(closeBoth);
  try {
    await fromServer();
  } catch {
    // closed by a deadline or by the client
  } finally {
    watched.delete(watch);
    closeBoth();
    await reading;
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
/** Descriptors kept for everything else: the store, peers' connections, files. */
const RESERVED_DESCRIPTORS = 128;

/**
 * Connections the process can hold within its open-file limit (`ulimit -n`), so that the bound
 * is met before EMFILE; 1,000 where the limit cannot be read.
 */
export function connectionsForFileLimit(): number {
  try {
    const limits = Deno.readTextFileSync("/proc/self/limits");
    const soft = /^Max open files\s+(\d+|unlimited)/m.exec(limits)?.[1];
    if (soft === undefined) return 1000;
    if (soft === "unlimited") return 10_000;
    return Math.max(
      1,
      Math.min(
        10_000,
        Math.floor((Number(soft) - RESERVED_DESCRIPTORS) / DESCRIPTORS_PER_CONNECTION),
      ),
    );
  } catch {
    return 1000;
  }
}
