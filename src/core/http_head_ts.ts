/**
 * The pure-TypeScript HTTP head scanner. `wasm/assembly/head.ts` is the same algorithm line for
 * line; both fill the field layout of `http_head.ts` identically.
 */
import {
  DEFAULT_MAX_HEAD_BYTES,
  F_CONNECTION,
  F_CONTENT_LENGTH,
  F_CONTENT_TYPE,
  F_END,
  F_ERROR,
  F_ERROR_OFFSET,
  F_FLAGS,
  F_HEAD_END,
  F_KIND,
  F_LOCATION,
  F_METHOD,
  F_SESSION_ID,
  F_START,
  F_STATE,
  F_STATUS,
  F_TARGET,
  F_TRANSACTION_ID,
  FieldSlots,
  FLAG_BODY_UNTIL_CLOSE,
  FLAG_CONNECTION_CLOSE,
  FLAG_CONNECTION_KEEP_ALIVE,
  FLAG_SESSION_ID_VALID,
  FLAG_TRANSACTION_ID_VALID,
  HEAD_ERR_CONFLICTING_CONTENT_LENGTH,
  HEAD_ERR_CONTENT_LENGTH,
  HEAD_ERR_HEADER_NAME,
  HEAD_ERR_HEADER_VALUE,
  HEAD_ERR_OBS_FOLD,
  HEAD_ERR_START_LINE,
  HEAD_ERR_TOO_LARGE,
  HEAD_ERR_TRANSFER_ENCODING,
  HEAD_FIELDS,
  HeadScan,
  type HeadScanner,
  KIND_REQUEST,
  KIND_RESPONSE,
  STATE_COMPLETE,
  STATE_INCOMPLETE,
  STATE_MALFORMED,
} from "./http_head.ts";

const LF = 0x0a, CR = 0x0d, SP = 0x20, HT = 0x09, COLON = 0x3a, COMMA = 0x2c;

const TOKEN_CHAR = 1, WORD_CHAR = 2;
/** RFC 9110 tchar, and the x-wv value alphabet letter | digit | "_". */
const CLASS = new Uint8Array(256);
for (let c = 0; c < 256; c++) {
  const alnum = (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a);
  if (alnum || (c > 0x20 && c < 0x7f && "!#$%&'*+-.^_`|~".includes(String.fromCharCode(c)))) {
    CLASS[c] = TOKEN_CHAR;
  }
  if (alnum || c === 0x5f) CLASS[c] |= WORD_CHAR;
}

const ascii = (s: string) => Uint8Array.from(s, (ch) => ch.charCodeAt(0));
const H_CONTENT_LENGTH = ascii("content-length"), H_CONTENT_TYPE = ascii("content-type");
const H_CONNECTION = ascii("connection"), H_LOCATION = ascii("location");
const H_TRANSACTION_ID = ascii("x-wv-transactionid"), H_SESSION_ID = ascii("x-wv-sessionid");
const H_TRANSFER_ENCODING = ascii("transfer-encoding");
const T_CLOSE = ascii("close"), T_KEEP_ALIVE = ascii("keep-alive"), HTTP_1 = ascii("HTTP/1.");

/** Thrown internally to unwind to `scanInto`; never escapes it. */
class Malformed {
  constructor(readonly code: number, readonly offset: number) {}
}

/**
 * Scans the message at `start` of input[0, len) into fields[o, o + HEAD_FIELDS). Exported for
 * the tests and the benchmark; the server uses `TsHeadScanner`.
 */
export function scanHeadInto(
  input: Uint8Array,
  start: number,
  len: number,
  maxHeadBytes: number,
  fields: Int32Array,
  o = 0,
): void {
  fields.fill(-1, o, o + HEAD_FIELDS);
  fields[o + F_START] = start;
  fields[o + F_STATE] = STATE_COMPLETE;
  fields[o + F_ERROR] = 0;
  fields[o + F_STATUS] = 0;
  fields[o + F_FLAGS] = 0;
  fields[o + F_KIND] = 0;
  try {
    scan(input, start, len, maxHeadBytes, fields, o);
  } catch (e) {
    if (!(e instanceof Malformed)) throw e;
    fields[o + F_STATE] = STATE_MALFORMED;
    fields[o + F_ERROR] = e.code;
    fields[o + F_ERROR_OFFSET] = e.offset;
  }
}

function scan(
  input: Uint8Array,
  start: number,
  len: number,
  max: number,
  fields: Int32Array,
  o: number,
) {
  const limit = Math.min(len, start + max);
  let eol = input.indexOf(LF, start);
  if (eol < 0 || eol >= limit) return incomplete(len, start, max, fields, o);
  startLine(input, start, lineEnd(input, start, eol), fields, o);
  let contentLength = -1;
  for (;;) {
    const p = eol + 1;
    eol = p < len ? input.indexOf(LF, p) : -1;
    if (eol < 0 || eol >= limit) return incomplete(len, start, max, fields, o);
    const end = lineEnd(input, p, eol);
    if (end === p) break;
    contentLength = header(input, p, end, contentLength, fields, o);
  }
  const headEnd = eol + 1;
  fields[o + F_HEAD_END] = headEnd;
  fields[o + F_CONTENT_LENGTH] = contentLength;
  const status = fields[o + F_STATUS];
  if (
    contentLength < 0 && fields[o + F_KIND] === KIND_RESPONSE && status >= 200 &&
    status !== 204 && status !== 304
  ) {
    fields[o + F_FLAGS] |= FLAG_BODY_UNTIL_CLOSE;
  }
  const end = headEnd + Math.max(contentLength, 0);
  fields[o + F_END] = Math.min(end, 0x7fffffff);
  if (end > len) fields[o + F_STATE] = STATE_INCOMPLETE;
}

/** No end of line within reach: wait for more bytes, unless the head is already too large. */
function incomplete(len: number, start: number, max: number, fields: Int32Array, o: number) {
  if (len - start > max) throw new Malformed(HEAD_ERR_TOO_LARGE, start + max);
  fields[o + F_STATE] = STATE_INCOMPLETE;
}

/** End of the line content ending at the LF `eol` (a CR before it is not content). */
function lineEnd(input: Uint8Array, p: number, eol: number): number {
  return eol > p && input[eol - 1] === CR ? eol - 1 : eol;
}

/** `METHOD SP target SP HTTP/1.x`, or `HTTP/1.x SP 3DIGIT [SP reason]`. */
function startLine(input: Uint8Array, p: number, end: number, fields: Int32Array, o: number) {
  if (startsWith(input, p, end, HTTP_1)) {
    const d = p + HTTP_1.length;
    if (
      end - d < 5 || !isDigit(input[d]) || input[d + 1] !== SP || !isDigit(input[d + 2]) ||
      !isDigit(input[d + 3]) || !isDigit(input[d + 4]) || (end > d + 5 && input[d + 5] !== SP)
    ) {
      throw new Malformed(HEAD_ERR_START_LINE, p);
    }
    fields[o + F_KIND] = KIND_RESPONSE;
    fields[o + F_STATUS] = (input[d + 2] - 0x30) * 100 + (input[d + 3] - 0x30) * 10 +
      input[d + 4] - 0x30;
    return;
  }
  let q = p;
  while (q < end && (CLASS[input[q]] & TOKEN_CHAR) !== 0) q++;
  if (q === p || q >= end || input[q] !== SP) throw new Malformed(HEAD_ERR_START_LINE, p);
  const targetStart = q + 1;
  let t = targetStart;
  while (t < end && input[t] > SP && input[t] !== 0x7f) t++;
  if (t === targetStart || t >= end || input[t] !== SP) throw new Malformed(HEAD_ERR_START_LINE, p);
  const v = t + 1;
  if (
    end - v !== HTTP_1.length + 1 || !startsWith(input, v, end, HTTP_1) || !isDigit(input[end - 1])
  ) {
    throw new Malformed(HEAD_ERR_START_LINE, p);
  }
  fields[o + F_KIND] = KIND_REQUEST;
  fields[o + F_METHOD] = p;
  fields[o + F_METHOD + 1] = q;
  fields[o + F_TARGET] = targetStart;
  fields[o + F_TARGET + 1] = t;
}

/** One header line [p, end); returns the Content-Length known after it. */
function header(
  input: Uint8Array,
  p: number,
  end: number,
  contentLength: number,
  fields: Int32Array,
  o: number,
): number {
  if (input[p] === SP || input[p] === HT) throw new Malformed(HEAD_ERR_OBS_FOLD, p);
  let colon = p;
  while (colon < end && (CLASS[input[colon]] & TOKEN_CHAR) !== 0) colon++;
  if (colon === p || colon >= end || input[colon] !== COLON) {
    throw new Malformed(HEAD_ERR_HEADER_NAME, colon);
  }
  let valueStart = colon + 1, valueEnd = end;
  while (valueStart < valueEnd && (input[valueStart] === SP || input[valueStart] === HT)) {
    valueStart++;
  }
  while (valueEnd > valueStart && (input[valueEnd - 1] === SP || input[valueEnd - 1] === HT)) {
    valueEnd--;
  }
  for (let i = valueStart; i < valueEnd; i++) {
    const c = input[i];
    if ((c < SP && c !== HT) || c === 0x7f) throw new Malformed(HEAD_ERR_HEADER_VALUE, i);
  }
  const nameLength = colon - p;
  switch (nameLength) {
    case 8:
      if (equalsLower(input, p, H_LOCATION)) setSpan(fields, o + F_LOCATION, valueStart, valueEnd);
      break;
    case 10:
      if (equalsLower(input, p, H_CONNECTION)) {
        setSpan(fields, o + F_CONNECTION, valueStart, valueEnd);
        fields[o + F_FLAGS] |= connectionFlags(input, valueStart, valueEnd);
      }
      break;
    case 12:
      if (equalsLower(input, p, H_CONTENT_TYPE)) {
        setSpan(fields, o + F_CONTENT_TYPE, valueStart, valueEnd);
      }
      break;
    case 14:
      if (equalsLower(input, p, H_CONTENT_LENGTH)) {
        const value = decimal(input, valueStart, valueEnd);
        if (contentLength >= 0 && value !== contentLength) {
          throw new Malformed(HEAD_ERR_CONFLICTING_CONTENT_LENGTH, p);
        }
        return value;
      }
      if (equalsLower(input, p, H_SESSION_ID) && fields[o + F_SESSION_ID] < 0) {
        setSpan(fields, o + F_SESSION_ID, valueStart, valueEnd);
        if (isWord(input, valueStart, valueEnd)) fields[o + F_FLAGS] |= FLAG_SESSION_ID_VALID;
      }
      break;
    case 17:
      if (equalsLower(input, p, H_TRANSFER_ENCODING)) {
        throw new Malformed(HEAD_ERR_TRANSFER_ENCODING, p);
      }
      break;
    case 18:
      if (equalsLower(input, p, H_TRANSACTION_ID) && fields[o + F_TRANSACTION_ID] < 0) {
        setSpan(fields, o + F_TRANSACTION_ID, valueStart, valueEnd);
        if (isWord(input, valueStart, valueEnd)) fields[o + F_FLAGS] |= FLAG_TRANSACTION_ID_VALID;
      }
      break;
  }
  return contentLength;
}

/** Keeps the first occurrence of a header. */
function setSpan(fields: Int32Array, field: number, start: number, end: number): void {
  if (fields[field] >= 0) return;
  fields[field] = start;
  fields[field + 1] = end;
}

/** 1*DIGIT, at most 2^31 - 1. */
function decimal(input: Uint8Array, p: number, end: number): number {
  if (p === end) throw new Malformed(HEAD_ERR_CONTENT_LENGTH, p);
  let value = 0;
  for (let i = p; i < end; i++) {
    if (!isDigit(input[i])) throw new Malformed(HEAD_ERR_CONTENT_LENGTH, i);
    value = value * 10 + input[i] - 0x30;
    if (value > 0x7fffffff) throw new Malformed(HEAD_ERR_CONTENT_LENGTH, i);
  }
  return value;
}

/** The close / keep-alive options in a comma-separated Connection value. */
function connectionFlags(input: Uint8Array, p: number, end: number): number {
  let flags = 0;
  while (p < end) {
    let comma = p;
    while (comma < end && input[comma] !== COMMA) comma++;
    let a = p, b = comma;
    while (a < b && (input[a] === SP || input[a] === HT)) a++;
    while (b > a && (input[b - 1] === SP || input[b - 1] === HT)) b--;
    if (b - a === T_CLOSE.length && equalsLower(input, a, T_CLOSE)) flags |= FLAG_CONNECTION_CLOSE;
    if (b - a === T_KEEP_ALIVE.length && equalsLower(input, a, T_KEEP_ALIVE)) {
      flags |= FLAG_CONNECTION_KEEP_ALIVE;
    }
    p = comma + 1;
  }
  return flags;
}

function isWord(input: Uint8Array, p: number, end: number): boolean {
  if (p === end) return false;
  for (let i = p; i < end; i++) if ((CLASS[input[i]] & WORD_CHAR) === 0) return false;
  return true;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** Case-insensitive match of input[p, p + lower.length) against the lower-case `lower`. */
function equalsLower(input: Uint8Array, p: number, lower: Uint8Array): boolean {
  for (let i = 0; i < lower.length; i++) {
    const c = input[p + i];
    if ((c >= 0x41 && c <= 0x5a ? c | 0x20 : c) !== lower[i]) return false;
  }
  return true;
}

function startsWith(input: Uint8Array, p: number, end: number, prefix: Uint8Array): boolean {
  if (end - p < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (input[p + i] !== prefix[i]) return false;
  return true;
}

export class TsHeadScanner implements HeadScanner {
  private readonly slots = new FieldSlots();

  scan(input: Uint8Array, start = 0, maxHeadBytes = DEFAULT_MAX_HEAD_BYTES): HeadScan {
    const slots = this.slots, base = slots.reserve(1);
    scanHeadInto(input, start, input.length, maxHeadBytes, slots.words, base);
    return new HeadScan(input, slots.words, base);
  }

  scanAll(input: Uint8Array, start = 0, maxHeadBytes = DEFAULT_MAX_HEAD_BYTES): HeadScan[] {
    const scans: HeadScan[] = [];
    while (start < input.length) {
      const scan = this.scan(input, start, maxHeadBytes);
      scans.push(scan);
      if (!scan.complete) break;
      start = scan.end;
    }
    return scans;
  }
}
