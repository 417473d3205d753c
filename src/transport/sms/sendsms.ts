/**
 * SMS out through Kannel's `sendsms` HTTP interface (smsbox). Kannel answers 202 once it has
 * taken a message (`0: Accepted for delivery`, or `3: Queued for later delivery` while its SMSC
 * link is down); anything else is a refusal, thrown as SmsGatewayError.
 */
import type { SmsGatewayConfig } from "../../config.ts";
import type { OutgoingSms, SmsSender } from "./gateway.ts";

export class SmsGatewayError extends Error {
  constructor(message: string, readonly status?: number) {
    super(message);
    this.name = "SmsGatewayError";
  }
}

const TIMEOUT_MS = 5_000;

export class KannelSender implements SmsSender {
  constructor(private readonly config: SmsGatewayConfig, private readonly timeoutMs = TIMEOUT_MS) {}

  async send(sms: OutgoingSms): Promise<void> {
    const fields: [string, string][] = [["to", encodeURIComponent(sms.to)]];
    const { username, password, from } = this.config;
    if (username !== undefined) fields.push(["username", encodeURIComponent(username)]);
    if (password !== undefined) fields.push(["password", encodeURIComponent(password)]);
    if (from !== undefined) fields.push(["from", encodeURIComponent(from)]);
    if ("text" in sms) {
      // Kannel converts UTF-8 text to the GSM alphabet, or with coding 2 to UCS-2.
      fields.push(["charset", "utf-8"], ["text", encodeURIComponent(sms.text)]);
      if (sms.unicode) fields.push(["coding", "2"]);
    } else {
      fields.push(["coding", "1"], ["udh", bytes(sms.udh)], ["text", bytes(sms.data)]);
    }
    const url = `${this.config.url}${this.config.url.includes("?") ? "&" : "?"}` +
      fields.map(([name, value]) => `${name}=${value}`).join("&");
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
function bytes(data: Uint8Array): string {
  let out = "";
  for (const b of data) out += `%${b.toString(16).padStart(2, "0").toUpperCase()}`;
  return out;
}
