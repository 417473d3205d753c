/**
 * Bounds on the connections a CIR listener holds (STCP, WebSocket):
 *
 *     const guard = new ConnectionGuard({ maxConnections: 20_000, maxPerAddress: 100 });
 *     acceptLoop(Deno.listen({ port }), guard, async (conn, address) => { ...; conn.close(); });
 *
 * A connection over the total or over its address's share is closed as soon as it is accepted,
 * so the listen queue keeps draining and other clients still get in; an accept that fails (out
 * of file descriptors, a connection gone before it was taken) is retried after a backoff instead
 * of ending the loop.
 */

export interface GuardOptions {
  /** Connections held at once, over all addresses. */
  maxConnections: number;
  /** Connections held at once from one address (a carrier's NAT hides many phones behind one). */
  maxPerAddress: number;
}

export class ConnectionGuard {
  readonly #byAddress = new Map<string, number>();
  #open = 0;

  constructor(private readonly options: GuardOptions) {}

  /** Connections held now. */
  get open(): number {
    return this.#open;
  }

  /** Takes a slot for a connection from `address`: the function that gives it back (once), or
   * undefined when a bound is reached and the connection must be closed at once. */
  admit(address: string): (() => void) | undefined {
    const fromAddress = this.#byAddress.get(address) ?? 0;
    if (this.#open >= this.options.maxConnections) return undefined;
    if (fromAddress >= this.options.maxPerAddress) return undefined;
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
}

/** The host part of a connection's remote address. */
export function addressOf(conn: Deno.Conn): string {
  const addr = conn.remoteAddr;
  return addr.transport === "tcp" || addr.transport === "udp" ? addr.hostname : addr.transport;
}

const FIRST_BACKOFF_MS = 5;
const MAX_BACKOFF_MS = 1000;

/**
 * Accepts from `listener` until it is closed, handing each connection the guard admits to
 * `handle`, which owns it; its slot is given back when `handle` settles. Resolves once the
 * listener is closed.
 */
export async function acceptLoop(
  listener: Deno.Listener,
  guard: ConnectionGuard,
  handle: (conn: Deno.Conn, address: string) => Promise<void>,
): Promise<void> {
  let backoff = 0;
  for (;;) {
    let conn: Deno.Conn;
    try {
      conn = await listener.accept();
      backoff = 0;
    } catch (error) {
      if (error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted) {
        return;
      }
      backoff = Math.min(MAX_BACKOFF_MS, backoff === 0 ? FIRST_BACKOFF_MS : backoff * 2);
      await new Promise((resolve) => setTimeout(resolve, backoff));
      continue;
    }
    const address = addressOf(conn);
    const release = guard.admit(address);
    if (!release) {
      closeQuietly(conn);
      continue;
    }
    handle(conn, address).catch(() => closeQuietly(conn)).finally(release);
  }
}

export function closeQuietly(conn: { close(): void }): void {
  try {
    conn.close();
  } catch {
    // already closed
  }
}
