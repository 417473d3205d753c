/**
 * HTTP/1.1 answers the core's head scanner leaves to us (RFC 9112 §6): informational 1xx heads,
 * which precede the real answer, and `Transfer-Encoding` bodies (chunked), which ordinary front
 * ends (Node, nginx) send for error pages and redirects. Dummy SSP replies never need this path;
 * it exists so that such an answer is read, not taken for a broken connection.
 */

/** One answer framed in the buffer: where it ends and what the connection does next. */
export interface FramedAnswer {
  status: number;
  location?: string;
  /** Offset just after the answer (after its last chunk and trailers). */
  end: number;
  /** The peer closes after this answer (Connection: close, or a body that runs to the end). */
  closes: boolean;
}

/** Thrown for bytes that are not an HTTP/1.1 answer. */
export class MalformedAnswer extends Error {}

const CRLF = [13, 10];
const latin1 = new TextDecoder("latin1");

/**
 * Frames the answer at `offset`; undefined while bytes are missing. Bodies are skipped, never
 * kept: only the status and Location matter to the binding.
 */
export function frameAnswer(
  buffer: Uint8Array,
  offset: number,
  maxBytes: number,
): FramedAnswer | undefined {
  const headEnd = indexOf(buffer, [13, 10, 13, 10], offset);
  if (headEnd < 0) {
    if (buffer.length - offset > maxBytes) throw new MalformedAnswer("answer head too large");
    return undefined;
  }
  const lines = latin1.decode(buffer.subarray(offset, headEnd)).split("\r\n");
  const statusLine = /^HTTP\/1\.[01] ([1-5]\d\d)(?: |$)/.exec(lines[0]);
  if (!statusLine) throw new MalformedAnswer(`bad status line ${JSON.stringify(lines[0])}`);
  const status = Number(statusLine[1]);
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon <= 0) throw new MalformedAnswer("bad header line");
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers.set(name, headers.has(name) ? `${headers.get(name)}, ${value}` : value);
  }
  const bodyStart = headEnd + 4;
  const closes = /(^|,)\s*close\s*(,|$)/i.test(headers.get("connection") ?? "");
  const answer = (end: number, untilClose = false): FramedAnswer => ({
    status,
    ...(headers.has("location") ? { location: headers.get("location") } : {}),
    end,
    closes: closes || untilClose,
  });
  if (status < 200 || status === 204 || status === 304) return answer(bodyStart);
  const coding = headers.get("transfer-encoding");
  if (coding !== undefined) {
    // Only chunked as the last coding frames the body; anything else runs to the close.
    if (!/(^|,)\s*chunked\s*$/i.test(coding)) return answer(bodyStart, true);
    const end = skipChunks(buffer, bodyStart);
    if (end === undefined && buffer.length - offset > maxBytes) {
      throw new MalformedAnswer("answer too large");
    }
    return end === undefined ? undefined : answer(end);
  }
  const length = headers.get("content-length");
  if (length === undefined) return answer(bodyStart, true);
  if (!/^\d{1,9}$/.test(length)) throw new MalformedAnswer("bad Content-Length");
  const end = bodyStart + Number(length);
  if (end - offset > maxBytes) throw new MalformedAnswer("answer too large");
  return end <= buffer.length ? answer(end) : undefined;
}

/** The offset after a chunked body and its trailers; undefined while bytes are missing. */
function skipChunks(buffer: Uint8Array, start: number): number | undefined {
  let pos = start;
  for (;;) {
    const eol = indexOf(buffer, CRLF, pos);
    if (eol < 0) return undefined;
    const size = /^([0-9A-Fa-f]{1,8})(?:;.*)?$/.exec(latin1.decode(buffer.subarray(pos, eol)));
    if (!size) throw new MalformedAnswer("bad chunk size");
    pos = eol + 2;
    const length = parseInt(size[1], 16);
    if (length === 0) break;
    if (pos + length + 2 > buffer.length) return undefined;
    if (buffer[pos + length] !== 13 || buffer[pos + length + 1] !== 10) {
      throw new MalformedAnswer("chunk without its CRLF");
    }
    pos += length + 2;
  }
  // Trailer fields, then the empty line.
  for (;;) {
    const eol = indexOf(buffer, CRLF, pos);
    if (eol < 0) return undefined;
    const empty = eol === pos;
    pos = eol + 2;
    if (empty) return pos;
  }
}

function indexOf(buffer: Uint8Array, needle: number[], from: number): number {
  for (let i = buffer.indexOf(needle[0], from); i >= 0; i = buffer.indexOf(needle[0], i + 1)) {
    if (i + needle.length > buffer.length) return -1;
    let match = true;
    for (let j = 1; j < needle.length && match; j++) match = buffer[i + j] === needle[j];
    if (match) return i;
  }
  return -1;
}
