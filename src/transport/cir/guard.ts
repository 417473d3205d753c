/**
 * Bounds on the connections a CIR listener holds (STCP, WebSocket): the listener asks `admit`
 * for each connection it accepts and closes it at once when refused, so its queue keeps draining
 * and other clients still get in; the connection's slot is given back when it closes.
 *
 *     const guard = new ConnectionGuard({ maxConnections: 20_000, maxPerAddress: 100 });
 *     const release = guard.admit(socket.remoteAddress);
 *     if (!release) socket.destroy();
 *     else socket.on("close", release);
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
