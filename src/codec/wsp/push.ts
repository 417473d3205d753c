/**
 * The WSP connectionless push PDU that carries a CIR (digest §5.2; WAP-230 §8.2.4): what WAPUDP
 * sends as a datagram and WAPSMS as an 8-bit SMS to the WAP push port. Phones route it by its
 * X-Wap-Application-Id (`x-wap-application:wv.ua`, MediaTek registers it as id 10) and content
 * type (`application/vnd.wv.csp.cir`), and Nokia's handler takes a body starting `WVCI`.
 */

/** WSP PDU type Push. */
const PUSH = 0x06;
/** Well-known content type `application/vnd.wv.csp.cir` (WINA), as a short integer. */
const CONTENT_TYPE_CIR = 0x80 | 0x46;
/** Well-known header X-Wap-Application-Id, as a short integer. */
const HEADER_APPLICATION_ID = 0x80 | 0x2f;
/** Application id `x-wap-application:wv.ua`, as a short integer. */
const APPLICATION_WV_UA = 0x80 | 0x0a;

/** The port WAP push is sent to (WDP connectionless push). */
export const WAP_PUSH_PORT = 2948;
/** The port a WSP push is sent from. */
export const WSP_PORT = 9200;

/** A push PDU with transaction id `tid` (0–255) and `text` (ASCII) as its body. */
export function encodeCirPush(tid: number, text: string): Uint8Array {
  const headers = [CONTENT_TYPE_CIR, HEADER_APPLICATION_ID, APPLICATION_WV_UA];
  const body = new TextEncoder().encode(text);
  // The headers' length is a uintvar; three bytes fit its one-byte form.
  const pdu = new Uint8Array(3 + headers.length + body.length);
  pdu.set([tid & 0xff, PUSH, headers.length, ...headers]);
  pdu.set(body, 3 + headers.length);
  return pdu;
}
