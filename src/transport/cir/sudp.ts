/**
 * SUDP, standalone UDP CIR (digest §5.2; Nokia's UDP watcher takes a datagram starting `WVCI`):
 * the WVCI text as one datagram to the session's UDP address, at its UDPPort or Baraza's default.
 */
import type { CirChannel, WakeTarget } from "./channel.ts";
import type { DatagramSender } from "./datagram.ts";

/** Where SUDP datagrams go when the client named no UDPPort (Baraza's default). */
export const SUDP_PORT = 56732;

export class SudpChannel implements CirChannel {
  readonly method = "SUDP";

  constructor(private readonly sender: DatagramSender) {}

  async wake(target: WakeTarget, line: string): Promise<boolean> {
    const udp = target.cir.udp;
    if (!udp) return false;
    return await this.sender.send(
      udp.address,
      udp.port ?? SUDP_PORT,
      new TextEncoder().encode(line),
    );
  }

  async close(): Promise<void> {}
}
