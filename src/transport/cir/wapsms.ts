/**
 * WAPSMS, WAP push over SMS CIR (digest §5.2; what feature phones can only be woken by): the WVCI
 * text in a WSP push PDU, sent through the SMS gateway as an 8-bit SMS to the WAP push port of the
 * session's MSISDN. Each wake-up SMS costs money: a user's budget (shared with SSMS) bounds them.
 */
import { encodeCirPush, WAP_PUSH_PORT, WSP_PORT } from "../../codec/wsp/push.ts";
import type { KannelClient } from "../sms/kannel.ts";
import type { CirChannel, WakeTarget } from "./channel.ts";
import type { RateLimit } from "./rate.ts";

/** User data header: application port addressing, 16-bit (IEI 5), to the push port from WSP's. */
const PUSH_UDH = Uint8Array.of(
  6,
  5,
  4,
  WAP_PUSH_PORT >> 8,
  WAP_PUSH_PORT & 0xff,
  WSP_PORT >> 8,
  WSP_PORT & 0xff,
);

export class WapSmsChannel implements CirChannel {
  readonly method = "WAPSMS";
  #tid = 0;

  constructor(private readonly gateway: KannelClient, private readonly budget: RateLimit) {}

  /** Throws the gateway's refusal (SmsGatewayError); false without an MSISDN or budget. */
  async wake(target: WakeTarget, line: string): Promise<boolean> {
    const to = target.cir.msisdn;
    if (to === undefined || !this.budget.take(target.userId)) return false;
    this.#tid = (this.#tid + 1) & 0xff;
    await this.gateway.send({ to, data: encodeCirPush(this.#tid, line), udh: PUSH_UDH });
    return true;
  }

  async close(): Promise<void> {}
}
