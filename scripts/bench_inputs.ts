/** Inputs and baselines for scripts/bench.ts. */

const encoder = new TextEncoder();

/** A CSP 1.2 GetList-Response carrying `contacts` NickName entries. */
export function largeGetListResponse(contacts: number): Uint8Array {
  const nicks = Array.from(
    { length: contacts },
    (_, i) =>
      `          <NickName>\n            <Name>Contact ${i} &amp; friends</Name>\n` +
      `            <UserID>wv:user${i}@a.test</UserID>\n          </NickName>\n`,
  ).join("");
  return encoder.encode(`<?xml version="1.0" encoding="UTF-8"?>
<WV-CSP-Message xmlns="http://www.openmobilealliance.org/DTD/WV-CSP1.2">
  <Session>
    <SessionDescriptor>
      <SessionType>Inband</SessionType>
      <SessionID>27E02F99D785D2219C4B5BAE8B89EFFF2G</SessionID>
    </SessionDescriptor>
    <Transaction>
      <TransactionDescriptor>
        <TransactionMode>Response</TransactionMode>
        <TransactionID>bob-11</TransactionID>
      </TransactionDescriptor>
      <TransactionContent xmlns="http://www.openmobilealliance.org/DTD/WV-TRC1.2">
        <GetList-Response>
          <Result><Code>200</Code></Result>
          <NickList>
${nicks}          </NickList>
        </GetList-Response>
      </TransactionContent>
    </Transaction>
    <Poll>F</Poll>
  </Session>
</WV-CSP-Message>
`);
}

/** An SSP POST shaped like Baraza's (headers in its order), with a small body. */
export function sspRequestHead(i: number): Uint8Array {
  const body = `<WV-SSP-Message xmlns="http://www.openmobilealliance.org/DTD/WV-SSP1.3"/>`;
  return encoder.encode(
    "POST / HTTP/1.1\r\nConnection: keep-alive\r\n" +
      `x-wv-transactionid: ${String(i).padStart(10, "0")}_0\r\nx-wv-sessionid: 1@a.test\r\n` +
      "User-Agent: Baraza IMPS -- http://www.baraza.im\r\n" +
      "Content-Type: application/vnd.wv.ssp+xml\r\n" +
      `Content-Length: ${body.length}\r\nHost: localhost:18290\r\n\r\n${body}`,
  );
}

const latin1 = new TextDecoder("latin1");
const WORD = /^\w+$/;

/** The baseline: what a straightforward parser builds, a Headers object per message. */
export function headsWithHeadersObject(stream: Uint8Array): unknown[] {
  const text = latin1.decode(stream);
  const results = [];
  let at = 0;
  while (at < text.length) {
    const headEnd = text.indexOf("\r\n\r\n", at);
    if (headEnd < 0) break;
    const lines = text.slice(at, headEnd).split("\r\n");
    const [method, target] = lines[0].split(" ");
    const headers = new Headers();
    for (let i = 1; i < lines.length; i++) {
      const colon = lines[i].indexOf(":");
      headers.append(lines[i].slice(0, colon), lines[i].slice(colon + 1).trim());
    }
    const contentLength = Number(headers.get("content-length") ?? 0);
    const transactionId = headers.get("x-wv-transactionid");
    const sessionId = headers.get("x-wv-sessionid");
    results.push({
      method,
      target,
      contentLength,
      contentType: headers.get("content-type"),
      connection: headers.get("connection"),
      location: headers.get("location"),
      transactionId,
      transactionIdValid: transactionId !== null && WORD.test(transactionId),
      sessionId,
      sessionIdValid: sessionId !== null && WORD.test(sessionId),
    });
    at = headEnd + 4 + contentLength;
  }
  return results;
}
