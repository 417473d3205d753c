/**
 * SSMS, standalone SMS CIR (digest §5.2): the WVCI text as a plain text SMS to the session's
 * MSISDN through the SMS gateway. A user's budget (shared with WAPSMS) bounds what it costs.
 */
import type { KannelClient } from "../sms/kannel.ts";
import type { CirChannel, WakeTarget } from "./channel.ts";
import type { RateLimit } from "./rate.ts";

export class SsmsChannel implements CirChannel {
  readonly method = "SSMS";

  constructor(private readonly gateway: KannelClient, private readonly budget: RateLimit) {}

  /** Throws the gateway's refusal (SmsGatewayError); false without an MSISDN or budget. */
  async wake(target: WakeTarget, line: string): Promise<boolean> {
    const to = target.cir.msisdn;
    if (to === undefined || !this.budget.take(target.userId)) return false;
    await this.gateway.send({ to, text: line });
    return true;
  }

  async close(): Promise<void> {}
}
