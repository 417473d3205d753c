// WBXML tokenizer: the same algorithm as src/core/wbxml_tokenizer_ts.ts, line for line, with the
// same token kinds, header fields and error codes (src/core/wbxml_tokens.ts). Inline strings are
// searched for their terminator 16 bytes at a time with SIMD.

import { inputPtr, RESULTS, reserveOutput } from "./buffers";

const WB_OPEN = 1;
const WB_OPEN_LITERAL = 2;
const WB_ATTR = 3;
const WB_ATTR_LITERAL = 4;
const WB_ATTR_END = 5;
const WB_STRING = 6;
const WB_EXT = 7;
const WB_ENTITY = 8;
const WB_OPAQUE = 9;
const WB_CLOSE = 10;
const WB_AUX_SHIFT = 8;
const WB_MAX_ATTRIBUTES = 64;

const WBERR_UNEXPECTED_END = 1;
const WBERR_VERSION = 2;
const WBERR_MB_TOO_LONG = 3;
const WBERR_MB_OVERFLOW = 4;
const WBERR_CHARSET = 5;
const WBERR_STRING_TABLE_TOO_LONG = 6;
const WBERR_TABLE_REFERENCE = 7;
const WBERR_UNTERMINATED_STRING = 8;
const WBERR_OPAQUE_TOO_LONG = 9;
const WBERR_STRAY_END = 10;
const WBERR_UNSUPPORTED_TOKEN = 11;
const WBERR_CONTENT_OUTSIDE_ROOT = 12;
const WBERR_SECOND_ROOT = 13;
const WBERR_NO_ROOT = 14;
const WBERR_UNCLOSED_ELEMENT = 15;
const WBERR_TOO_DEEP = 16;
const WBERR_TOO_MANY_ELEMENTS = 17;
const WBERR_TOO_MANY_ATTRIBUTES = 18;
const WBERR_VALUE_BEFORE_ATTRIBUTE = 19;

const SWITCH_PAGE: u32 = 0x00;
const END: u32 = 0x01;
const ENTITY: u32 = 0x02;
const STR_I: u32 = 0x03;
const LITERAL: u32 = 0x04;
const EXT_T_0: u32 = 0x80;
const STR_T: u32 = 0x83;
const OPAQUE: u32 = 0xc3;
const TAG_ATTRIBUTES: u32 = 0x80;
const TAG_CONTENT: u32 = 0x40;
const TAG_TOKEN: u32 = 0x3f;

// Results layout (int32 words at RESULTS): count, error code, error offset, WBXML version,
// public id, public id string start and end, charset, where the tokens are.
const R_COUNT: usize = 0;
const R_ERROR: usize = 4;
const R_OFFSET: usize = 8;
const R_VERSION: usize = 12;
const R_PUBLIC_ID: usize = 16;
const R_PUBLIC_ID_START: usize = 20;
const R_PUBLIC_ID_END: usize = 24;
const R_CHARSET: usize = 28;
const R_TOKENS: usize = 32;

// What a byte is in content: a global token of its own, a string/value, one CSP has no use for,
// or a tag (LITERAL and its forms included).
const B_TAG: u8 = 0;
const B_SWITCH_PAGE: u8 = 1;
const B_END: u8 = 2;
const B_VALUE: u8 = 3;
const B_UNSUPPORTED: u8 = 4;
const BYTE_CLASS: usize = memory.data(256);

for (let b: u32 = 0; b < 256; b++) {
  let k = B_TAG;
  if (b == SWITCH_PAGE) k = B_SWITCH_PAGE;
  else if (b == END) k = B_END;
  else if (b == ENTITY || b == STR_I || b == STR_T || b == EXT_T_0 || b == OPAQUE) k = B_VALUE;
  else if (isUnsupportedGlobal(b)) k = B_UNSUPPORTED;
  store<u8>(BYTE_CLASS + b, k);
}

let base: usize = 0;
let len: i32 = 0;
let pos: i32 = 0;
let tokens: usize = 0;
let count: i32 = 0;
let width: i32 = 1;
let tableStart: i32 = 0;
let tableEnd: i32 = 0;
let tableEndsReady = false;
let tagPage: i32 = 0;
let attrPage: i32 = 0;
let failed = false;
let errorCode: i32 = 0;
let errorOffset: i32 = 0;

/** Per string-table byte, where the string starting there ends (see findTableEnds). */
let tableEnds: usize = 0;
let tableEndsCapacity: usize = 0;

/**
 * Tokenizes the `length` input bytes. Tokens go to outputPtr() (3 int32 words each); results
 * hold the token count, error code and offset, and the header fields. Returns the error code.
 */
export function tokenizeWbxml(length: i32, maxDepth: i32, maxElements: i32): i32 {
  base = inputPtr();
  len = length;
  pos = 0;
  tokens = reserveOutput((<usize>length * 2 + 4) * 12);
  store<i32>(RESULTS + R_TOKENS, <i32>tokens);
  count = 0;
  tableEndsReady = false;
  tagPage = 0;
  attrPage = 0;
  failed = false;
  errorCode = 0;
  errorOffset = 0;
  store<i32>(RESULTS + R_VERSION, 0);
  store<i32>(RESULTS + R_PUBLIC_ID, 0);
  store<i32>(RESULTS + R_PUBLIC_ID_START, -1);
  store<i32>(RESULTS + R_PUBLIC_ID_END, -1);
  store<i32>(RESULTS + R_CHARSET, 0);
  header();
  if (!failed) body(maxDepth, maxElements);
  store<i32>(RESULTS + R_COUNT, count);
  store<i32>(RESULTS + R_ERROR, errorCode);
  store<i32>(RESULTS + R_OFFSET, errorOffset);
  return errorCode;
}

function fail(code: i32, offset: i32): void {
  if (failed) return;
  failed = true;
  errorCode = code;
  errorOffset = offset;
}

// @ts-ignore: decorator
@inline
function byteAt(p: i32): u32 {
  return <u32>load<u8>(base + <usize>p);
}

/** Global tokens CSP has no use for: PI, EXT_I_n, EXT_T_1/2 and EXT_n. */
function isUnsupportedGlobal(b: u32): bool {
  return (b >= 0x40 && b <= 0x43) || b == 0x81 || b == 0x82 || (b >= 0xc0 && b <= 0xc2);
}

function charsetWidth(charset: u32): i32 {
  if (charset == 0 || charset == 3 || charset == 4 || charset == 106) return 1;
  if (charset == 1000 || charset == 1013 || charset == 1015) return 2;
  return 0;
}

function header(): void {
  const version = byte();
  if (failed) return;
  store<i32>(RESULTS + R_VERSION, <i32>version);
  if (version < 1 || version > 3) {
    fail(WBERR_VERSION, 0);
    return;
  }
  pos = 1;
  const publicId = mb();
  if (failed) return;
  store<i32>(RESULTS + R_PUBLIC_ID, <i32>publicId);
  let publicIdIndex: i64 = -1;
  if (publicId == 0) {
    publicIdIndex = <i64>mb();
    if (failed) return;
  }
  const charsetAt = pos;
  const charset = mb();
  if (failed) return;
  store<i32>(RESULTS + R_CHARSET, <i32>charset);
  width = charsetWidth(charset);
  if (width == 0) {
    fail(WBERR_CHARSET, charsetAt);
    return;
  }
  const lengthAt = pos;
  const length = mb();
  if (failed) return;
  if (<i64>length > <i64>(len - pos)) {
    fail(WBERR_STRING_TABLE_TOO_LONG, lengthAt);
    return;
  }
  tableStart = pos;
  tableEnd = pos + <i32>length;
  pos = tableEnd;
  if (publicIdIndex >= 0) {
    const start = tableStart + tableOffset(<u32>publicIdIndex, lengthAt);
    if (failed) return;
    store<i32>(RESULTS + R_PUBLIC_ID_START, start);
    const end = tableString(start, lengthAt);
    if (!failed) store<i32>(RESULTS + R_PUBLIC_ID_END, end);
  }
}

/**
 * The body. The common tokens (tags without attributes, END, STR_I, one-byte EXT_T_0) are read
 * here with the position and token count in locals; the rest through the helpers, which keep them
 * in globals (synced around each call). The TS twin reads every token through its helpers.
 */
function body(maxDepth: i32, maxElements: i32): void {
  let depth = 0;
  let elements = 0;
  let rootSeen = false;
  let p = pos;
  let n = count;
  const out = tokens;
  while (p < len) {
    const at = p;
    const b = byteAt(at);
    const kind = load<u8>(BYTE_CLASS + b);
    if (kind == B_TAG) {
      if (depth == 0 && rootSeen) return stop(WBERR_SECOND_ROOT, at, p, n);
      if (depth >= maxDepth) return stop(WBERR_TOO_DEEP, at, p, n);
      if (++elements > maxElements) return stop(WBERR_TOO_MANY_ELEMENTS, at, p, n);
      rootSeen = true;
      p++;
      if ((b & TAG_TOKEN) == LITERAL || (b & TAG_ATTRIBUTES) != 0) {
        pos = p;
        count = n;
        tagWithHelpers(b, at);
        if (failed) return;
        p = pos;
        n = count;
      } else {
        put(out, n++, WB_OPEN | ((tagPage << 6 | <i32>(b & TAG_TOKEN)) << WB_AUX_SHIFT), at, 0);
      }
      if ((b & TAG_CONTENT) != 0) depth++;
      else put(out, n++, WB_CLOSE, p, 0);
    } else if (kind == B_END) {
      if (depth == 0) return stop(WBERR_STRAY_END, at, p, n);
      put(out, n++, WB_CLOSE, at, 0);
      depth--;
      p++;
    } else if (kind == B_VALUE) {
      if (depth == 0) return stop(WBERR_CONTENT_OUTSIDE_ROOT, at, p, n);
      if (b == STR_I && width == 1) {
        const end = terminator(p + 1);
        if (end < 0) return stop(WBERR_UNTERMINATED_STRING, at, p, n);
        put(out, n++, WB_STRING, p + 1, end);
        p = end + 1;
      } else if (b == EXT_T_0 && p + 1 < len && byteAt(p + 1) < 0x80) {
        put(out, n++, WB_EXT, <i32>byteAt(p + 1), at);
        p += 2;
      } else {
        pos = p;
        count = n;
        value(b);
        if (failed) return;
        p = pos;
        n = count;
      }
    } else if (kind == B_SWITCH_PAGE) {
      if (p + 1 >= len) return stop(WBERR_UNEXPECTED_END, len, p, n);
      tagPage = <i32>byteAt(p + 1);
      p += 2;
    } else {
      return stop(WBERR_UNSUPPORTED_TOKEN, at, p, n);
    }
  }
  pos = p;
  count = n;
  if (depth > 0) fail(WBERR_UNCLOSED_ELEMENT, len);
  else if (!rootSeen) fail(WBERR_NO_ROOT, len);
}

/** Fails at `offset`, leaving the position and token count where the body loop had them. */
function stop(code: i32, offset: i32, p: i32, n: i32): void {
  pos = p;
  count = n;
  fail(code, offset);
}

/** A LITERAL tag, or a tag with attributes, at `at` (pos is past its byte). */
function tagWithHelpers(b: u32, at: i32): void {
  if ((b & TAG_TOKEN) == LITERAL) {
    const offset = mb();
    if (failed) return;
    const start = tableStart + tableOffset(offset, at);
    if (failed) return;
    const end = tableString(start, at);
    if (failed) return;
    emit(WB_OPEN_LITERAL, start, end);
  } else {
    emit(WB_OPEN | ((tagPage << 6 | <i32>(b & TAG_TOKEN)) << WB_AUX_SHIFT), at, 0);
  }
  if ((b & TAG_ATTRIBUTES) != 0) attributes();
}

/** An attribute list up to and including its END. */
function attributes(): void {
  let attributes = 0;
  while (true) {
    const at = pos;
    const b = byte();
    if (failed) return;
    if (b == SWITCH_PAGE) {
      pos++;
      attrPage = <i32>byte();
      if (failed) return;
      pos++;
    } else if (b == END) {
      emit(WB_ATTR_END, at, 0);
      pos++;
      return;
    } else if (b == ENTITY || b == STR_I || b == STR_T || b == EXT_T_0 || b == OPAQUE) {
      if (attributes == 0) {
        fail(WBERR_VALUE_BEFORE_ATTRIBUTE, at);
        return;
      }
      value(b);
      if (failed) return;
    } else if (isUnsupportedGlobal(b) || ((b & TAG_TOKEN) == LITERAL && b != LITERAL)) {
      fail(WBERR_UNSUPPORTED_TOKEN, at);
      return;
    } else if (b < 0x80) {
      if (++attributes > WB_MAX_ATTRIBUTES) {
        fail(WBERR_TOO_MANY_ATTRIBUTES, at);
        return;
      }
      pos++;
      if (b == LITERAL) {
        const offset = mb();
        if (failed) return;
        const start = tableStart + tableOffset(offset, at);
        if (failed) return;
        const end = tableString(start, at);
        if (failed) return;
        emit(WB_ATTR_LITERAL, start, end);
      } else {
        emit(WB_ATTR | ((attrPage << 8 | <i32>b) << WB_AUX_SHIFT), at, 0);
      }
    } else {
      fail(WBERR_UNSUPPORTED_TOKEN, at);
      return;
    }
  }
}

/** A string, EXT_T_0, ENTITY or OPAQUE starting with token `b` at `pos`. */
function value(b: u32): void {
  const at = pos++;
  if (b == STR_I) {
    const end = inlineString(pos, at);
    if (failed) return;
    emit(WB_STRING, pos, end);
    pos = end + width;
  } else if (b == STR_T) {
    const offset = mb();
    if (failed) return;
    const start = tableStart + tableOffset(offset, at);
    if (failed) return;
    const end = tableString(start, at);
    if (failed) return;
    emit(WB_STRING, start, end);
  } else if (b == OPAQUE) {
    const length = mb();
    if (failed) return;
    if (<i64>length > <i64>(len - pos)) {
      fail(WBERR_OPAQUE_TOO_LONG, at);
      return;
    }
    emit(WB_OPAQUE, pos, pos + <i32>length);
    pos += <i32>length;
  } else {
    const v = mb();
    if (failed) return;
    emit(b == EXT_T_0 ? WB_EXT : WB_ENTITY, <i32>v, at);
  }
}

/** The byte at `pos`; fails at the end of input. */
function byte(): u32 {
  if (pos >= len) {
    fail(WBERR_UNEXPECTED_END, len);
    return 0;
  }
  return byteAt(pos);
}

/** An mb_u_int32 at `pos` (at most 5 bytes, at most 2^32 - 1), moving past it. */
function mb(): u32 {
  const at = pos;
  const first = byte();
  if (failed) return 0;
  if (first < 0x80) {
    pos++;
    return first;
  }
  let value: u64 = 0;
  for (let i = 0; i < 5; i++) {
    const b = byte();
    if (failed) return 0;
    pos++;
    value = (value << 7) | <u64>(b & 0x7f);
    if ((b & 0x80) == 0) {
      if (value > 0xffffffff) {
        fail(WBERR_MB_OVERFLOW, at);
        return 0;
      }
      return <u32>value;
    }
  }
  fail(WBERR_MB_TOO_LONG, at);
  return 0;
}

/** A string-table offset, checked against the table's length. */
function tableOffset(offset: u32, at: i32): i32 {
  if (<i64>offset >= <i64>(tableEnd - tableStart)) {
    fail(WBERR_TABLE_REFERENCE, at);
    return 0;
  }
  return <i32>offset;
}

/** Where the inline string starting at `start` ends (its terminator). */
function inlineString(start: i32, at: i32): i32 {
  if (width == 1) {
    const end = terminator(start);
    if (end >= 0) return end;
  } else {
    for (let i = start; i + 1 < len; i += 2) {
      if (byteAt(i) == 0 && byteAt(i + 1) == 0) return i;
    }
  }
  fail(WBERR_UNTERMINATED_STRING, at);
  return 0;
}

/**
 * The first zero byte at or after `start`, or -1; 16 bytes at a time. Loads may run up to 15
 * bytes past `len`: the input buffer keeps INPUT_SLACK bytes there.
 */
function terminator(start: i32): i32 {
  const zero = i8x16.splat(0);
  for (let p = start; p < len; p += 16) {
    const mask = i8x16.bitmask(i8x16.eq(v128.load(base + <usize>p), zero));
    if (mask != 0) {
      const end = p + <i32>ctz(mask);
      return end < len ? end : -1;
    }
  }
  return -1;
}

/** Where the string-table string starting at `start` ends, within the table. */
function tableString(start: i32, at: i32): i32 {
  if (!tableEndsReady) findTableEnds();
  const end = load<i32>(tableEnds + (<usize>(start - tableStart) << 2));
  if (end < 0) {
    fail(WBERR_UNTERMINATED_STRING, at);
    return 0;
  }
  return end;
}

/** Made at the first reference, so that many references into one long unterminated table cost
 * one pass over it. */
function findTableEnds(): void {
  const length = tableEnd - tableStart;
  const bytes = <usize>length << 2;
  if (bytes > tableEndsCapacity) {
    if (tableEnds != 0) heap.free(tableEnds);
    tableEndsCapacity = max<usize>(bytes, 1024);
    tableEnds = heap.alloc(tableEndsCapacity);
  }
  for (let i = length - 1; i >= 0; i--) {
    const p = tableStart + i;
    const terminated = width == 1
      ? byteAt(p) == 0
      : i + 1 < length && byteAt(p) == 0 && byteAt(p + 1) == 0;
    let end = -1;
    if (terminated) end = p;
    else if (i + width < length) end = load<i32>(tableEnds + (<usize>(i + width) << 2));
    store<i32>(tableEnds + (<usize>i << 2), end);
  }
  tableEndsReady = true;
}

// @ts-ignore: decorator
@inline
function emit(word: i32, a: i32, b: i32): void {
  put(tokens, count++, word, a, b);
}

// @ts-ignore: decorator
@inline
function put(out: usize, n: i32, word: i32, a: i32, b: i32): void {
  const w = out + <usize>n * 12;
  store<i32>(w, word);
  store<i32>(w, a, 4);
  store<i32>(w, b, 8);
}
