/**
 * Bounds on the connections a listener holds, for every listener of the server (the HTTP one of
 * CSP, SSP and content; raw TCP ones such as a CIR channel's):
 *
 *     const gate = new ConnectionGate({ maxConnections: 1000, maxPerAddress: 128 });
 *     const listener = Deno.listen({ port: 56789 });
 *     acceptLoop(listener, gate, async (conn) => {
 *       try { ...serve conn, with its own read deadlines... } finally { conn.close(); }
 *     });
 *
 * A connection over the total or over its address's share is closed as soon as it is accepted,
 * so that it costs a file descriptor only for that moment, and the listen queue keeps draining:
 * the connections of other clients queued behind a flood still get in. An accept that fails
 * (EMFILE: out of file descriptors; ENFILE; ECONNABORTED) is logged and retried after a backoff
 * instead of ending the loop, as `Deno.serve` would.
 */

export interface ConnectionGateOptions {
  /** Connections held at once, over all addresses. */
  maxConnections: number;
  /** Connections held at once from one remote address (a carrier's NAT may hide many phones
   * behind one). */
  maxPerAddress: number;
  /** Where refusals and accept errors are reported, at most once a second with counts. */
  log?: (message: string) => void;
}

/** Counts held connections by remote address; `admit` takes a slot, its release gives it back. */
export class ConnectionGate {
  readonly #options: ConnectionGateOptions;
  readonly #byAddress = new Map<string, number>();
  #open = 0;
  readonly #refused = { total: 0, address: 0 };
  #reportTimer?: ReturnType<typeof setTimeout>;
  readonly #reported = new Map<string, { at: number; unsaid: number }>();

  constructor(options: ConnectionGateOptions) {
    this.#options = options;
  }

  /** Connections held at most. */
  get limit(): number {
    return this.#options.maxConnections;
  }

  /** Connections held now. */
  get open(): number {
    return this.#open;
  }

  /**
   * Takes a slot for a connection from `address`: the function that releases it (idempotent),
   * or undefined when the connection is over a bound and must be closed at once.
   */
  admit(address: string): (() => void) | undefined {
    const fromAddress = this.#byAddress.get(address) ?? 0;
    if (this.#open >= this.#options.maxConnections) return this.#refuse("total");
    if (fromAddress >= this.#options.maxPerAddress) return this.#refuse("address");
    this.#open++;
    this.#byAddress.set(address, fromAddress + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#open--;
      const left = this.#byAddress.get(address)! - 1;
      if (left === 0) this.#byAddress.delete(address);
      else this.#byAddress.set(address, left);
    };
  }

  /**
   * Reports a trouble through the gate's log, at most once a second per kind, with the count of
   * those left unsaid since: a flood must not flood the log too.
   */
  report(kind: string, message: string): void {
    const now = Date.now();
    const last = this.#reported.get(kind);
    if (last && now - last.at < 1000) {
      last.unsaid++;
      return;
    }
    const unsaid = last?.unsaid ? ` (${last.unsaid} more since the last report)` : "";
    this.#reported.set(kind, { at: now, unsaid: 0 });
    this.#options.log?.(`${message}${unsaid}`);
  }

  /** Connections refused since the gate was made, by the bound they were over (metrics). */
  readonly refusedSoFar = { total: 0, address: 0 };

  #refuse(bound: "total" | "address"): undefined {
    this.#refused[bound]++;
    this.refusedSoFar[bound]++;
    this.#reportTimer ??= setTimeout(() => {
      this.#reportTimer = undefined;
      const { total, address } = this.#refused;
      this.#refused.total = this.#refused.address = 0;
      this.#options.log?.(
        `connections refused: ${total} over the bound of ${this.#options.maxConnections}, ` +
          `${address} over ${this.#options.maxPerAddress} from one address`,
      );
    }, 1000);
    return undefined;
  }

  /** Stops the pending report (at shutdown). */
  close(): void {
    clearTimeout(this.#reportTimer);
    this.#reportTimer = undefined;
  }
}

/** The remote address of a connection as the gate counts it (the host, without port). */
export function addressOf(conn: Deno.Conn): string {
  const addr = conn.remoteAddr;
  return addr.transport === "tcp" || addr.transport === "udp" ? addr.hostname : addr.transport;
}

const FIRST_BACKOFF_MS = 5;
const MAX_BACKOFF_MS = 1000;

/**
 * Accepts from `listener` until it is closed, admitting each connection through `gate` and
 * handing admitted ones to `handle`, which owns them (and closes them); the slot is released
 * when `handle` settles. Refused connections are closed at once. Resolves when the listener is
 * closed.
 */
export async function acceptLoop(
  listener: Deno.Listener,
  gate: ConnectionGate,
  handle: (conn: Deno.Conn, address: string) => Promise<void>,
): Promise<void> {
  let backoff = 0;
  for (;;) {
    let conn: Deno.Conn;
    try {
      conn = await listener.accept();
      backoff = 0;
    } catch (error) {
      if (error instanceof Deno.errors.BadResource) return; // the listener was closed
      // Out of descriptors or a connection gone before it was taken: wait for some to free up.
      gate.report("accept", `accept failed, retrying: ${(error as Error).message}`);
      backoff = Math.min(MAX_BACKOFF_MS, backoff === 0 ? FIRST_BACKOFF_MS : backoff * 2);
      await new Promise((resolve) => setTimeout(resolve, backoff));
      continue;
    }
    const address = addressOf(conn);
    const release = gate.admit(address);
    if (!release) {
      closeQuietly(conn);
      continue;
    }
    handle(conn, address).catch(() => closeQuietly(conn)).finally(release);
  }
}

export function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // already closed
  }
}

/** Descriptors kept for everything but connections: the store, peers' connections, files. */
const RESERVED_DESCRIPTORS = 128;

/**
 * Descriptors the open-file limit (`ulimit -n`) leaves for the connections of every listener
 * together, once RESERVED_DESCRIPTORS are kept for the rest: Infinity without a limit, undefined
 * where it cannot be read. Each listener's default bound is its share of these.
 */
export function descriptorsForConnections(): number | undefined {
  try {
    const limits = Deno.readTextFileSync("/proc/self/limits");
    const soft = /^Max open files\s+(\d+|unlimited)/m.exec(limits)?.[1];
    if (soft === undefined) return undefined;
    if (soft === "unlimited") return Infinity;
    return Math.max(0, Number(soft) - RESERVED_DESCRIPTORS);
  } catch {
    return undefined;
  }
}
