/**
 * Sends the datagrams of the UDP channels (SUDP, WAPUDP) from one socket per address family,
 * bound to the server's own address, within a rate for the whole server: a wake-up is a few dozen
 * bytes to an address a client gave, and the server must never become a source of floods.
 */
import dgram from "node:dgram";
import { isIP } from "node:net";
import { RateLimit } from "./rate.ts";

export class DatagramSender {
  readonly #sockets = new Map<4 | 6, Promise<dgram.Socket>>();
  readonly #rate: RateLimit;

  /** `host`: the server's listen address, which datagrams leave from when it is an IP of their
   * family; `perSecond`: datagrams sent at most, all destinations together. */
  constructor(private readonly host: string, perSecond: number) {
    this.#rate = new RateLimit({ burst: perSecond, perSecond, maxKeys: 1 });
  }

  /** Sends `bytes`; false when over the rate, or the system refused it. */
  async send(address: string, port: number, bytes: Uint8Array): Promise<boolean> {
    const family = isIP(address);
    if (family === 0 || !this.#rate.take("")) return false;
    try {
      const socket = await this.#socket(family as 4 | 6);
      return await new Promise((resolve) =>
        socket.send(bytes, port, address, (error) => resolve(!error))
      );
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets.values()) {
      const open = await socket.catch(() => undefined);
      await new Promise<void>((resolve) => open ? open.close(() => resolve()) : resolve());
    }
    this.#sockets.clear();
  }

  #socket(family: 4 | 6): Promise<dgram.Socket> {
    let socket = this.#sockets.get(family);
    if (!socket) {
      const bindTo = isIP(this.host) === family ? this.host : family === 4 ? "0.0.0.0" : "::";
      socket = new Promise((resolve, reject) => {
        const s = dgram.createSocket(family === 4 ? "udp4" : "udp6");
        s.once("error", reject);
        s.bind(0, bindTo, () => {
          s.off("error", reject);
          // Errors of later sends come to their callbacks; anything else is not ours to act on.
          s.on("error", () => {});
          s.unref();
          resolve(s);
        });
      });
      socket.catch(() => this.#sockets.delete(family));
      this.#sockets.set(family, socket);
    }
    return socket;
  }
}
