// HTTP/1.1 head scanner: the same algorithm as src/core/http_head_ts.ts, line for line, writing
// the field layout of src/core/http_head.ts into a results area of its own, one message after the
// other. Line ends, control bytes and the end of names are found, and names compared, with SIMD.

import { inputPtr } from "./buffers";
import { classOf, equalsAsciiLower, WORD_CHAR } from "./bytes";

const F_STATE: i32 = 0;
const F_ERROR: i32 = 1;
const F_ERROR_OFFSET: i32 = 2;
const F_START: i32 = 3;
const F_HEAD_END: i32 = 4;
const F_END: i32 = 5;
const F_KIND: i32 = 6;
const F_STATUS: i32 = 7;
const F_CONTENT_LENGTH: i32 = 8;
const F_FLAGS: i32 = 9;
const F_METHOD: i32 = 10;
const F_TARGET: i32 = 12;
const F_CONTENT_TYPE: i32 = 14;
const F_CONNECTION: i32 = 16;
const F_LOCATION: i32 = 18;
const F_TRANSACTION_ID: i32 = 20;
const F_SESSION_ID: i32 = 22;
const HEAD_FIELDS: i32 = 24;

/** Pipelined messages one call reports at most: JS copies them out and calls again for more. */
const HEAD_BATCH: i32 = 64;
const HEAD_RESULTS: usize = memory.data(HEAD_BATCH * HEAD_FIELDS * 4, 16);

const STATE_COMPLETE = 0;
const STATE_INCOMPLETE = 1;
const STATE_MALFORMED = 2;
const KIND_REQUEST = 1;
const KIND_RESPONSE = 2;

const FLAG_TRANSACTION_ID_VALID = 1;
const FLAG_SESSION_ID_VALID = 2;
const FLAG_CONNECTION_CLOSE = 4;
const FLAG_CONNECTION_KEEP_ALIVE = 8;
const FLAG_BODY_UNTIL_CLOSE = 16;

const HEAD_ERR_TOO_LARGE = 1;
const HEAD_ERR_START_LINE = 2;
const HEAD_ERR_OBS_FOLD = 3;
const HEAD_ERR_HEADER_NAME = 4;
const HEAD_ERR_HEADER_VALUE = 5;
const HEAD_ERR_CONTENT_LENGTH = 6;
const HEAD_ERR_CONFLICTING_CONTENT_LENGTH = 7;
const HEAD_ERR_TRANSFER_ENCODING = 8;

const LF: u32 = 0x0a;
const CR: u32 = 0x0d;
const SP: u32 = 0x20;
const HT: u32 = 0x09;
const COLON: u32 = 0x3a;
const COMMA: u32 = 0x2c;

// The header names looked for, lower case, each in 32 zero-padded bytes for `nameIs`.
const NAMES: usize = memory.data(7 << 5, 16);
const H_LOCATION = headerName(0, "location");
const H_CONNECTION = headerName(1, "connection");
const H_CONTENT_TYPE = headerName(2, "content-type");
const H_CONTENT_LENGTH = headerName(3, "content-length");
const H_SESSION_ID = headerName(4, "x-wv-sessionid");
const H_TRANSFER_ENCODING = headerName(5, "transfer-encoding");
const H_TRANSACTION_ID = headerName(6, "x-wv-transactionid");

function headerName(index: i32, name: string): usize {
  const to = NAMES + (<usize>index << 5);
  for (let i = 0; i < name.length; i++) store<u8>(to + <usize>i, <u8>name.charCodeAt(i));
  return to;
}

/** Address of the caller's byte 0 (the input buffer holds its bytes from `origin` on). */
let base: usize = 0;
let len: i32 = 0;
/** Fields of the message being scanned. */
let out: usize = 0;
/** Set when a check fails; the scan then unwinds by returning early. */
let malformed = false;

// @ts-ignore: decorator
@inline
function at(pos: i32): u32 {
  return <u32>load<u8>(base + <usize>pos);
}

// @ts-ignore: decorator
@inline
function field(f: i32): i32 {
  return load<i32>(out + (<usize>f << 2));
}

// @ts-ignore: decorator
@inline
function setField(f: i32, value: i32): void {
  store<i32>(out + (<usize>f << 2), value);
}

function fail(code: i32, offset: i32): void {
  malformed = true;
  setField(F_STATE, STATE_MALFORMED);
  setField(F_ERROR, code);
  setField(F_ERROR_OFFSET, offset);
}

export function headResultsPtr(): usize {
  return HEAD_RESULTS;
}

/**
 * Scans pipelined messages from `start` of the caller's input[0, length), whose bytes from
 * `origin` on are in the input buffer (for one message, those up to start + maxHeadBytes are
 * enough: no more are read). Offsets in the results are the caller's. Stops after `maxMessages`
 * (at most HEAD_BATCH), after an incomplete or malformed message, or at the end of the input;
 * returns how many messages it wrote, at least one.
 */
export function scanHeads(
  origin: i32,
  start: i32,
  length: i32,
  maxHeadBytes: i32,
  maxMessages: i32,
): i32 {
  base = inputPtr() - <usize>origin; // wraps, as loads at base + offset do
  len = length;
  const most = min(maxMessages, HEAD_BATCH);
  let count = 0;
  while (true) {
    out = HEAD_RESULTS + (<usize>(count * HEAD_FIELDS) << 2);
    count++;
    if (scanHead(start, maxHeadBytes) != STATE_COMPLETE || count >= most) break;
    start = field(F_END);
    if (start >= len) break;
  }
  return count;
}

/** Scans the message at `start` into the fields at `out`; returns its state. */
function scanHead(start: i32, maxHeadBytes: i32): i32 {
  malformed = false;
  for (let f = 0; f < HEAD_FIELDS; f++) setField(f, -1);
  setField(F_START, start);
  setField(F_STATE, STATE_COMPLETE);
  setField(F_ERROR, 0);
  setField(F_STATUS, 0);
  setField(F_FLAGS, 0);
  setField(F_KIND, 0);
  scan(start, maxHeadBytes);
  return field(F_STATE);
}

/** Offset of the first LF in [pos, limit), or -1. Loads may read past limit, to no effect. */
function findLineFeed(pos: i32, limit: i32): i32 {
  const lf = i8x16.splat(<u8>LF);
  while (pos < limit) {
    const mask = i8x16.bitmask(i8x16.eq(v128.load(base + <usize>pos), lf));
    if (mask != 0) {
      const found = pos + <i32>ctz(mask);
      return found < limit ? found : -1;
    }
    pos += 16;
  }
  return -1;
}

/** Offset of the first byte in [pos, end) that is not a tchar, or end; SIMD. */
function findNonToken(pos: i32, end: i32): i32 {
  // Bit h of byte l of `low` is set when (h << 4 | l) is a tchar; byte h of `high` is 1 << h.
  const low = i32x4(<i32>0xfcf8fce8, <i32>0xfcfcfcfc, 0x54f4f8f8, 0x70f454d0);
  const high = i32x4(0x08040201, <i32>0x80402010, 0, 0);
  const nibble = i8x16.splat(0x0f);
  const zero = i8x16.splat(0);
  while (pos < end) {
    const v = v128.load(base + <usize>pos);
    const bits = v128.and(
      i8x16.swizzle(low, v128.and(v, nibble)),
      i8x16.swizzle(high, i8x16.shr_u(v, 4)),
    );
    const mask = i8x16.bitmask(i8x16.eq(bits, zero));
    if (mask != 0) return min(pos + <i32>ctz(mask), end);
    pos += 16;
  }
  return end;
}

/**
 * Whether the tchars [p, p + length) spell the lower-case `name` (length <= 32) in any case.
 * Setting bit 0x20 folds case, and folds no other tchar onto a letter or "-". Loads read up to
 * 16 bytes past the name.
 */
function nameIs(p: i32, length: i32, name: usize): bool {
  const fold = i8x16.splat(0x20);
  const head = i8x16.bitmask(i8x16.eq(v128.or(v128.load(base + <usize>p), fold), v128.load(name)));
  if (length <= 16) return ((head | (0xffff << length)) & 0xffff) == 0xffff;
  const tail = length - 16;
  const rest = i8x16.bitmask(
    i8x16.eq(v128.or(v128.load(base + <usize>(p + tail)), fold), v128.load(name + <usize>tail)),
  );
  return (head & rest) == 0xffff;
}

/** Offset of the first control byte other than HT (or DEL) in [pos, end), or -1; SIMD. */
function findControl(pos: i32, end: i32): i32 {
  const space = i8x16.splat(<u8>SP);
  const tab = i8x16.splat(<u8>HT);
  const del = i8x16.splat(0x7f);
  while (pos < end) {
    const v = v128.load(base + <usize>pos);
    const bad = v128.or(v128.andnot(i8x16.lt_u(v, space), i8x16.eq(v, tab)), i8x16.eq(v, del));
    const mask = i8x16.bitmask(bad);
    if (mask != 0) {
      const found = pos + <i32>ctz(mask);
      return found < end ? found : -1;
    }
    pos += 16;
  }
  return -1;
}

function scan(start: i32, maxHead: i32): void {
  const limit = <i32>min<i64>(<i64>len, <i64>start + <i64>maxHead);
  let eol = findLineFeed(start, limit);
  if (eol < 0) {
    incomplete(start, maxHead);
    return;
  }
  startLine(start, lineEnd(start, eol));
  if (malformed) return;
  let contentLength = -1;
  while (true) {
    const p = eol + 1;
    eol = findLineFeed(p, limit);
    if (eol < 0) {
      incomplete(start, maxHead);
      return;
    }
    const end = lineEnd(p, eol);
    if (end == p) break;
    contentLength = header(p, end, contentLength);
    if (malformed) return;
  }
  const headEnd = eol + 1;
  setField(F_HEAD_END, headEnd);
  setField(F_CONTENT_LENGTH, contentLength);
  const status = field(F_STATUS);
  if (
    contentLength < 0 && field(F_KIND) == KIND_RESPONSE && status >= 200 && status != 204 &&
    status != 304
  ) {
    setField(F_FLAGS, field(F_FLAGS) | FLAG_BODY_UNTIL_CLOSE);
  }
  const end = <i64>headEnd + <i64>max(contentLength, 0);
  setField(F_END, <i32>min<i64>(end, 0x7fffffff));
  if (end > <i64>len) setField(F_STATE, STATE_INCOMPLETE);
}

/** No end of line within reach: wait for more bytes, unless the head is already too large. */
function incomplete(start: i32, maxHead: i32): void {
  if (len - start > maxHead) fail(HEAD_ERR_TOO_LARGE, start + maxHead);
  else setField(F_STATE, STATE_INCOMPLETE);
}

/** End of the line content ending at the LF `eol` (a CR before it is not content). */
function lineEnd(p: i32, eol: i32): i32 {
  return eol > p && at(eol - 1) == CR ? eol - 1 : eol;
}

function isDigit(c: u32): bool {
  return c >= 0x30 && c <= 0x39;
}

/** Whether [p, end) starts with "HTTP/1.". */
function startsWithHttp1(p: i32, end: i32): bool {
  return end - p >= 7 && at(p) == 0x48 && at(p + 1) == 0x54 && at(p + 2) == 0x54 &&
    at(p + 3) == 0x50 && at(p + 4) == 0x2f && at(p + 5) == 0x31 && at(p + 6) == 0x2e;
}

/** `METHOD SP target SP HTTP/1.x`, or `HTTP/1.x SP 3DIGIT [SP reason]`. */
function startLine(p: i32, end: i32): void {
  if (startsWithHttp1(p, end)) {
    const d = p + 7;
    if (
      end - d < 5 || !isDigit(at(d)) || at(d + 1) != SP || !isDigit(at(d + 2)) ||
      !isDigit(at(d + 3)) || !isDigit(at(d + 4)) || (end > d + 5 && at(d + 5) != SP)
    ) {
      fail(HEAD_ERR_START_LINE, p);
      return;
    }
    setField(F_KIND, KIND_RESPONSE);
    setField(F_STATUS, <i32>((at(d + 2) - 0x30) * 100 + (at(d + 3) - 0x30) * 10 + at(d + 4) - 0x30));
    return;
  }
  const q = findNonToken(p, end);
  if (q == p || q >= end || at(q) != SP) {
    fail(HEAD_ERR_START_LINE, p);
    return;
  }
  const targetStart = q + 1;
  let t = targetStart;
  while (t < end && at(t) > SP && at(t) != 0x7f) t++;
  if (t == targetStart || t >= end || at(t) != SP) {
    fail(HEAD_ERR_START_LINE, p);
    return;
  }
  const v = t + 1;
  if (end - v != 8 || !startsWithHttp1(v, end) || !isDigit(at(end - 1))) {
    fail(HEAD_ERR_START_LINE, p);
    return;
  }
  setField(F_KIND, KIND_REQUEST);
  setField(F_METHOD, p);
  setField(F_METHOD + 1, q);
  setField(F_TARGET, targetStart);
  setField(F_TARGET + 1, t);
}

/** One header line [p, end); returns the Content-Length known after it. */
function header(p: i32, end: i32, contentLength: i32): i32 {
  if (at(p) == SP || at(p) == HT) {
    fail(HEAD_ERR_OBS_FOLD, p);
    return contentLength;
  }
  const colon = findNonToken(p, end);
  if (colon == p || colon >= end || at(colon) != COLON) {
    fail(HEAD_ERR_HEADER_NAME, colon);
    return contentLength;
  }
  let valueStart = colon + 1;
  let valueEnd = end;
  while (valueStart < valueEnd && (at(valueStart) == SP || at(valueStart) == HT)) valueStart++;
  while (valueEnd > valueStart && (at(valueEnd - 1) == SP || at(valueEnd - 1) == HT)) valueEnd--;
  const control = findControl(valueStart, valueEnd);
  if (control >= 0) {
    fail(HEAD_ERR_HEADER_VALUE, control);
    return contentLength;
  }
  const nameLength = colon - p;
  switch (nameLength) {
    case 8:
      if (nameIs(p, 8, H_LOCATION)) setSpan(F_LOCATION, valueStart, valueEnd);
      break;
    case 10:
      if (nameIs(p, 10, H_CONNECTION)) {
        setSpan(F_CONNECTION, valueStart, valueEnd);
        setField(F_FLAGS, field(F_FLAGS) | connectionFlags(valueStart, valueEnd));
      }
      break;
    case 12:
      if (nameIs(p, 12, H_CONTENT_TYPE)) setSpan(F_CONTENT_TYPE, valueStart, valueEnd);
      break;
    case 14:
      if (nameIs(p, 14, H_CONTENT_LENGTH)) {
        const value = decimal(valueStart, valueEnd);
        if (malformed) return contentLength;
        if (contentLength >= 0 && value != contentLength) {
          fail(HEAD_ERR_CONFLICTING_CONTENT_LENGTH, p);
        }
        return value;
      }
      if (nameIs(p, 14, H_SESSION_ID) && field(F_SESSION_ID) < 0) {
        setSpan(F_SESSION_ID, valueStart, valueEnd);
        if (isWord(valueStart, valueEnd)) setField(F_FLAGS, field(F_FLAGS) | FLAG_SESSION_ID_VALID);
      }
      break;
    case 17:
      if (nameIs(p, 17, H_TRANSFER_ENCODING)) fail(HEAD_ERR_TRANSFER_ENCODING, p);
      break;
    case 18:
      if (nameIs(p, 18, H_TRANSACTION_ID) && field(F_TRANSACTION_ID) < 0) {
        setSpan(F_TRANSACTION_ID, valueStart, valueEnd);
        if (isWord(valueStart, valueEnd)) {
          setField(F_FLAGS, field(F_FLAGS) | FLAG_TRANSACTION_ID_VALID);
        }
      }
      break;
  }
  return contentLength;
}

/** Keeps the first occurrence of a header. */
function setSpan(f: i32, start: i32, end: i32): void {
  if (field(f) >= 0) return;
  setField(f, start);
  setField(f + 1, end);
}

/** 1*DIGIT, at most 2^31 - 1. */
function decimal(p: i32, end: i32): i32 {
  if (p == end) {
    fail(HEAD_ERR_CONTENT_LENGTH, p);
    return 0;
  }
  let value: i64 = 0;
  for (let i = p; i < end; i++) {
    if (!isDigit(at(i))) {
      fail(HEAD_ERR_CONTENT_LENGTH, i);
      return 0;
    }
    value = value * 10 + <i64>(at(i) - 0x30);
    if (value > 0x7fffffff) {
      fail(HEAD_ERR_CONTENT_LENGTH, i);
      return 0;
    }
  }
  return <i32>value;
}

/** The close / keep-alive options in a comma-separated Connection value. */
function connectionFlags(p: i32, end: i32): i32 {
  let flags = 0;
  while (p < end) {
    let comma = p;
    while (comma < end && at(comma) != COMMA) comma++;
    let a = p;
    let b = comma;
    while (a < b && (at(a) == SP || at(a) == HT)) a++;
    while (b > a && (at(b - 1) == SP || at(b - 1) == HT)) b--;
    if (equalsAsciiLower(base + <usize>a, b - a, "close")) flags |= FLAG_CONNECTION_CLOSE;
    if (equalsAsciiLower(base + <usize>a, b - a, "keep-alive")) {
      flags |= FLAG_CONNECTION_KEEP_ALIVE;
    }
    p = comma + 1;
  }
  return flags;
}

function isWord(p: i32, end: i32): bool {
  if (p == end) return false;
  for (let i = p; i < end; i++) if ((classOf(at(i)) & WORD_CHAR) == 0) return false;
  return true;
}
