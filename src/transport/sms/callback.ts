/**
 * An SMS from a phone as Kannel hands it on: its `sms-service` calls a URL for each message,
 * with the escape codes filled in (`%p` sender, `%P` receiver, `%u` user data header, `%c`
 * coding), the text as the POST body (`post-url`) or in the query (`get-url`, `text=%b`). Binary
 * fields come percent-encoded byte by byte, so they are decoded here as bytes, never as UTF-8.
 */

/** Kannel's data codings: 7-bit text (handed on in the charset it names), 8-bit, UCS-2. */
export type SmsDataCoding = 0 | 1 | 2;

export interface IncomingSms {
  /** The sender's number. */
  from: string;
  /** The number or short code it was sent to. */
  to: string;
  udh: Uint8Array;
  coding: SmsDataCoding;
  /** The message as handed on: text in `charset`, or 8-bit data. */
  data: Uint8Array;
  charset: string;
}

/** The message as text: 8-bit data read as UTF-8 (the PTS binding sends UTF-8). */
export function smsText(sms: IncomingSms): string {
  const charset = sms.coding === 1 ? "utf-8" : sms.charset;
  try {
    return new TextDecoder(charset).decode(sms.data);
  } catch {
    return new TextDecoder().decode(sms.data);
  }
}

/** A query string's fields as bytes, exactly as percent-encoded (`+` is a space). */
export function rawQuery(search: string): Map<string, Uint8Array> {
  const fields = new Map<string, Uint8Array>();
  for (const part of search.replace(/^\?/, "").split("&")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const name = latin(percentBytes(eq === -1 ? part : part.slice(0, eq)));
    fields.set(name, percentBytes(eq === -1 ? "" : part.slice(eq + 1)));
  }
  return fields;
}

export function percentBytes(text: string): Uint8Array {
  const out: number[] = [];
  const utf8 = new TextEncoder();
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "%" && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 1, i + 3))) {
      out.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c === "+") out.push(0x20);
    else out.push(...utf8.encode(c));
  }
  return Uint8Array.from(out);
}

const latin = (bytes: Uint8Array) => String.fromCharCode(...bytes);
const utf8Text = (bytes: Uint8Array | undefined) =>
  bytes === undefined ? undefined : new TextDecoder().decode(bytes);

/**
 * Reads the callback; a reason string when it does not carry a message. `body` is the POST body
 * (empty for a GET), `contentType` its type.
 */
export function readCallback(
  url: URL,
  contentType: string | undefined,
  body: Uint8Array,
): IncomingSms | string {
  const query = rawQuery(url.search);
  const from = utf8Text(query.get("from"))?.trim();
  const to = utf8Text(query.get("to"))?.trim() ?? "";
  if (!from) return "no sender (from=%p)";
  const codingText = utf8Text(query.get("coding")) ?? "";
  const coding = codingText === "" ? undefined : Number(codingText);
  const text = query.get("text");
  const data = text ?? body;
  const charset = /charset="?([\w-]+)"?/i.exec(contentType ?? "")?.[1]?.toLowerCase() ??
    utf8Text(query.get("charset"))?.toLowerCase() ?? "utf-8";
  const binary = coding === 1 || (coding === undefined && /octet-stream/i.test(contentType ?? ""));
  return {
    from,
    to,
    udh: query.get("udh") ?? new Uint8Array(),
    coding: binary ? 1 : coding === 2 ? 2 : 0,
    data,
    charset: coding === 2 && !/charset/i.test(contentType ?? "") ? "utf-16be" : charset,
  };
}
