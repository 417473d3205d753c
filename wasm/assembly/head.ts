// HTTP/1.1 head scanner: the same algorithm as src/core/http_head_ts.ts, line for line, writing
// the field layout of src/core/http_head.ts into the results area. Line ends are found with SIMD.

import { inputPtr, RESULTS } from "./buffers";
import { classOf, equalsAsciiLower, TOKEN_CHAR, WORD_CHAR } from "./bytes";

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

let base: usize = 0;
let len: i32 = 0;
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
  return load<i32>(RESULTS + (<usize>f << 2));
}

// @ts-ignore: decorator
@inline
function setField(f: i32, value: i32): void {
  store<i32>(RESULTS + (<usize>f << 2), value);
}

function fail(code: i32, offset: i32): void {
  malformed = true;
  setField(F_STATE, STATE_MALFORMED);
  setField(F_ERROR, code);
  setField(F_ERROR_OFFSET, offset);
}

/** Scans the message at `start` of the `length` input bytes; returns the state. */
export function scanHead(start: i32, length: i32, maxHeadBytes: i32): i32 {
  base = inputPtr();
  len = length;
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

/** Offset of the first LF in [pos, limit), or -1. Loads may read into the input slack. */
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
  const limit = min(len, start + maxHead);
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
  let q = p;
  while (q < end && (classOf(at(q)) & TOKEN_CHAR) != 0) q++;
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
  let colon = p;
  while (colon < end && (classOf(at(colon)) & TOKEN_CHAR) != 0) colon++;
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
  const name = base + <usize>p;
  switch (nameLength) {
    case 8:
      if (equalsAsciiLower(name, 8, "location")) setSpan(F_LOCATION, valueStart, valueEnd);
      break;
    case 10:
      if (equalsAsciiLower(name, 10, "connection")) {
        setSpan(F_CONNECTION, valueStart, valueEnd);
        setField(F_FLAGS, field(F_FLAGS) | connectionFlags(valueStart, valueEnd));
      }
      break;
    case 12:
      if (equalsAsciiLower(name, 12, "content-type")) setSpan(F_CONTENT_TYPE, valueStart, valueEnd);
      break;
    case 14:
      if (equalsAsciiLower(name, 14, "content-length")) {
        const value = decimal(valueStart, valueEnd);
        if (malformed) return contentLength;
        if (contentLength >= 0 && value != contentLength) {
          fail(HEAD_ERR_CONFLICTING_CONTENT_LENGTH, p);
        }
        return value;
      }
      if (equalsAsciiLower(name, 14, "x-wv-sessionid") && field(F_SESSION_ID) < 0) {
        setSpan(F_SESSION_ID, valueStart, valueEnd);
        if (isWord(valueStart, valueEnd)) setField(F_FLAGS, field(F_FLAGS) | FLAG_SESSION_ID_VALID);
      }
      break;
    case 17:
      if (equalsAsciiLower(name, 17, "transfer-encoding")) fail(HEAD_ERR_TRANSFER_ENCODING, p);
      break;
    case 18:
      if (equalsAsciiLower(name, 18, "x-wv-transactionid") && field(F_TRANSACTION_ID) < 0) {
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
