/**
 * The SMS gateway client: Kannel's `sendsms` HTTP interface (smsbox), the open-source WAP/SMS
 * gateway operators and Baraza use, for CIR wake-ups (transport/cir) and the SMS binding and CLP
 * (gateway.ts). A message is text (the gateway codes it in the GSM 7-bit alphabet, or UCS-2) or
 * 8-bit data with a user data header (a port-addressed WAP push, a PTS data SMS). Kannel answers
 * 202 once it has taken the message (`0: Accepted for delivery`, or `3: Queued for later
 * delivery` while its SMSC link is down); anything else is a refusal.
 */
import type { SmsGatewayConfig } from "../../config.ts";
import { isMsisdn } from "../../util/msisdn.ts";

export type { SmsGatewayConfig };

/** One SMS: text (7-bit GSM, or UCS-2 when `unicode`), or 8-bit data with a header. */
export type OutgoingSms =
  | { to: string; text: string; unicode?: boolean }
  | { to: string; data: Uint8Array; udh: Uint8Array };

/** What sends SMS: the gateway, or a stand-in in tests. */
export interface SmsSender {
  send(sms: OutgoingSms): Promise<void>;
}

/** The gateway refused the message or could not be reached in time. */
export class SmsGatewayError extends Error {
  constructor(message: string, readonly status?: number) {
    super(message);
    this.name = "SmsGatewayError";
  }
}

const DEFAULT_TIMEOUT_MS = 5_000;

export class KannelClient implements SmsSender {
  constructor(
    private readonly config: SmsGatewayConfig,
    private readonly timeoutMs = DEFAULT_TIMEOUT_MS,
  ) {}

  /** Hands the message to the gateway; throws SmsGatewayError when it does not take it. */
  async send(sms: OutgoingSms): Promise<void> {
    if (!isMsisdn(sms.to)) throw new SmsGatewayError(`not a phone number: "${sms.to}"`);
    const parameters: [string, string][] = [["to", encodeURIComponent(sms.to)]];
    const { username, password, from } = this.config;
    if (username !== undefined) parameters.push(["username", encodeURIComponent(username)]);
    if (password !== undefined) parameters.push(["password", encodeURIComponent(password)]);
    if (from !== undefined) parameters.push(["from", encodeURIComponent(from)]);
    if ("text" in sms) {
      // Kannel converts UTF-8 text to the GSM alphabet, or with coding 2 to UCS-2.
      parameters.push(["charset", "utf-8"], ["text", encodeURIComponent(sms.text)]);
      if (sms.unicode) parameters.push(["coding", "2"]);
    } else {
      parameters.push(["coding", "1"], ["udh", encodeBytes(sms.udh)], [
        "text",
        encodeBytes(sms.data),
      ]);
    }
    const url = `${this.config.url}${this.config.url.includes("?") ? "&" : "?"}` +
      parameters.map(([name, value]) => `${name}=${value}`).join("&");
    let response: Response;
    try {
      response = await fetch(url, { signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (error) {
      throw new SmsGatewayError(`SMS gateway unreachable: ${(error as Error).message}`);
    }
    const answer = (await response.text().catch(() => "")).trim().slice(0, 200);
    if (response.status < 200 || response.status > 299) {
      throw new SmsGatewayError(
        `SMS gateway refused: ${response.status} ${answer}`,
        response.status,
      );
    }
  }
}

/** Bytes percent-encoded one by one, as sendsms reads binary `text` and `udh`. */
function encodeBytes(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += `%${b.toString(16).padStart(2, "0").toUpperCase()}`;
  return out;
}
