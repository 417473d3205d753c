/**
 * WAPUDP, WAP push over UDP CIR (digest §5.2): the WVCI text in a WSP connectionless push PDU,
 * one datagram to the session's UDP address, at its UDPPort or the WAP push port.
 */
import { encodeCirPush, WAP_PUSH_PORT } from "../../codec/wsp/push.ts";
import type { CirChannel, WakeTarget } from "./channel.ts";
import type { DatagramSender } from "./datagram.ts";

export class WapUdpChannel implements CirChannel {
  readonly method = "WAPUDP";
  #tid = 0;

  constructor(private readonly sender: DatagramSender) {}

  async wake(target: WakeTarget, line: string): Promise<boolean> {
    const udp = target.cir.udp;
    if (!udp) return false;
    this.#tid = (this.#tid + 1) & 0xff;
    return await this.sender.send(
      udp.address,
      udp.port ?? WAP_PUSH_PORT,
      encodeCirPush(this.#tid, line),
    );
  }

  async close(): Promise<void> {}
}
