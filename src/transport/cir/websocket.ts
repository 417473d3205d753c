/**
 * The WebSocket channel, beyond CSP, for browser clients (which cannot open a raw socket) and
 * hosts where only HTTP reaches the server: `GET /cir/ws` upgraded, then the words of STCP in
 * text frames: the client sends `HELO <SessionID>` and gets `OK`, then a `WVCI <version>
 * <cookie>` frame whenever something waits; `PING` is answered `OK`. The session id travels in a
 * frame, not in the URL, so it stays out of access logs. Only sessions whose ClientCapability
 * offered the extension method `X-WEBSOCKET` (and so agreed it) are served: phones never see it.
 *
 * Bounds: connections in all and per address, one per session (a new HELO replaces the old), a
 * time to say HELO, frames no longer than a line, and the runtime's ping/pong idle timeout for
 * peers gone without a close. A peer that does not answer the server's close has its connection
 * cut by the guarded listener (the runtime would wait for the answer for ever); the HTTP
 * deadlines of that listener end with the upgrade.
 */
import type { Context, Hono } from "hono";
import { getConnInfo } from "hono/deno";
import { ConnectionGate } from "../connection_gate.ts";
import type { GuardedInfo } from "../http_listener.ts";
import {
  type CirChannel,
  type CirHost,
  SESSION_ID_RE,
  type WakeTarget,
  WEBSOCKET_METHOD,
  wvciLine,
} from "./channel.ts";

export interface WebSocketOptions {
  maxConnections: number;
  maxPerAddress: number;
  heloTimeoutMs: number;
  /** Where refused upgrades are reported (rate-limited). */
  log?: (message: string) => void;
}

/** Longest frame read, characters; longer ones close the socket. */
const FRAME_MAX = 64;
/** Seconds without a pong to the runtime's pings before the socket is closed. */
const IDLE_TIMEOUT_S = 60;
/** How long a peer has to answer a close before its connection is cut. */
const CLOSE_GRACE_MS = 3000;
/** Bytes left unsent before the client is taken not to read any more. */
const MAX_BUFFERED = 4096;

export class WebSocketChannel implements CirChannel {
  readonly method = WEBSOCKET_METHOD;
  readonly #bySession = new Map<string, WebSocket>();
  /** Open sockets, each with what cuts its connection (through the guarded listener) and the
   * timer that will, once a close was sent. */
  readonly #open = new Map<
    WebSocket,
    { cut?: () => void; cutting?: ReturnType<typeof setTimeout> }
  >();
  readonly #gate: ConnectionGate;

  constructor(private readonly host: CirHost, private readonly options: WebSocketOptions) {
    this.#gate = new ConnectionGate({
      maxConnections: options.maxConnections,
      maxPerAddress: options.maxPerAddress,
      log: options.log,
    });
  }

  /** Connections held now: upgraded, with or without their HELO yet. */
  get connections(): number {
    return this.#gate.open;
  }

  /** Upgrades refused so far: over the total bound, or over one address's share. */
  get refused(): { readonly total: number; readonly address: number } {
    return this.#gate.refusedSoFar;
  }

  routes(app: Hono): void {
    app.get("/cir/ws", (c) => this.#upgrade(c));
  }

  wake(target: WakeTarget, line: string): Promise<boolean> {
    const socket = this.#bySession.get(target.sessionId);
    return Promise.resolve(socket !== undefined && this.#send(socket, line));
  }

  forget(sessionId: string): void {
    const socket = this.#bySession.get(sessionId);
    if (socket) this.#end(socket, 1000, "session ended");
  }

  close(): Promise<void> {
    this.#gate.close();
    for (const socket of this.#open.keys()) this.#end(socket, 1001, "server stopping");
    return Promise.resolve();
  }

  #upgrade(c: Context): Response {
    if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
      return c.text("Upgrade to WebSocket expected", 426, { upgrade: "websocket" });
    }
    let address = "local";
    try {
      address = getConnInfo(c).remote.address ?? address;
    } catch {
      // Served in-process: no connection to count by.
    }
    const release = this.#gate.admit(address);
    if (!release) return c.text("Too many CIR connections", 503);
    const { socket, response } = Deno.upgradeWebSocket(c.req.raw, { idleTimeout: IDLE_TIMEOUT_S });
    this.#open.set(socket, { cut: (c.env as Partial<GuardedInfo> | undefined)?.closeConnection });
    let sessionId: string | undefined;
    const heloTimer = setTimeout(
      () => this.#end(socket, 1008, "HELO expected"),
      this.options.heloTimeoutMs,
    );
    // Frames are taken one after another: a HELO's lookup finishes before the next is read.
    let turn = Promise.resolve();
    socket.onmessage = (event) => {
      turn = turn.then(async () => {
        const text = typeof event.data === "string" ? event.data : "";
        if (text.length === 0 || text.length > FRAME_MAX) {
          return this.#end(socket, 1008, "not a CIR line");
        }
        const [word, argument, extra] = text.trim().split(/\s+/);
        if (word.toUpperCase() === "PING" && sessionId !== undefined) {
          this.#send(socket, "OK");
        } else if (word.toUpperCase() === "HELO" && extra === undefined && argument !== undefined) {
          if (sessionId !== undefined) {
            if (argument !== sessionId) this.#end(socket, 1008, "one session per connection");
            else this.#send(socket, "OK");
            return;
          }
          const target = SESSION_ID_RE.test(argument)
            ? await this.host.target(argument, WEBSOCKET_METHOD)
            : undefined;
          if (!target || socket.readyState !== WebSocket.OPEN) {
            return this.#end(socket, 1008, "unknown session");
          }
          clearTimeout(heloTimer);
          sessionId = argument;
          const replaced = this.#bySession.get(sessionId);
          if (replaced) this.#end(replaced, 1000, "replaced by a new connection");
          this.#bySession.set(sessionId, socket);
          this.#send(socket, "OK");
          this.host.connected(sessionId);
          if (await this.host.waiting(sessionId)) this.#send(socket, wvciLine(target));
        } else {
          this.#end(socket, 1008, "not a CIR line");
        }
      });
    };
    socket.onclose = () => {
      clearTimeout(heloTimer);
      clearTimeout(this.#open.get(socket)?.cutting);
      this.#open.delete(socket);
      if (sessionId !== undefined && this.#bySession.get(sessionId) === socket) {
        this.#bySession.delete(sessionId);
      }
      release();
    };
    socket.onerror = () => {};
    return response;
  }

  #send(socket: WebSocket, text: string): boolean {
    if (socket.readyState !== WebSocket.OPEN) return false;
    if (socket.bufferedAmount > MAX_BUFFERED) {
      this.#end(socket, 1008, "not reading");
      return false;
    }
    socket.send(text);
    return true;
  }

  /** Closes the socket; a peer that does not answer the close within CLOSE_GRACE_MS has its
   * connection cut (the runtime would wait for its answer for ever). */
  #end(socket: WebSocket, code: number, reason: string): void {
    socket.close(code, reason);
    const peer = this.#open.get(socket);
    if (peer?.cut && peer.cutting === undefined) {
      peer.cutting = setTimeout(peer.cut, CLOSE_GRACE_MS);
    }
  }
}
