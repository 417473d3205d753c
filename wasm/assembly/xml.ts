// XML envelope tokenizer: the same algorithm as src/core/xml_tokenizer_ts.ts, line for line, with
// the same token kinds, fact slots and error codes (src/core/xml_tokens.ts). Text and attribute
// values are scanned 16 bytes at a time with SIMD. Unlike the TS one, it gives names and short
// attribute values interned ids (./names.ts) in the top bits of their token's first word.

import { inputPtr, RESULTS, reserveOutput } from "./buffers";
import { classOf, equalsAscii, NAME_CHAR, NAME_START, SPACE } from "./bytes";
import { intern, renewNamesIfFull } from "./names";

const TOKEN_OPEN = 1;
const TOKEN_ATTR_NAME = 2;
const TOKEN_ATTR_VALUE = 3;
const TOKEN_CLOSE = 4;
const TOKEN_TEXT = 5;
const TOKEN_CDATA = 6;
const TOKEN_HAS_REFERENCE = 0x100;
const TOKEN_ID_SHIFT = 16;
const MAX_ATTRIBUTES = 64;

const ERR_UNEXPECTED_END = 1;
const ERR_TEXT_OUTSIDE_ROOT = 2;
const ERR_STRAY_LT = 3;
const ERR_BAD_REFERENCE = 4;
const ERR_UNDEFINED_ENTITY = 5;
const ERR_STRAY_END_TAG = 6;
const ERR_MISMATCHED_TAG = 7;
const ERR_BAD_END_TAG = 8;
const ERR_BAD_START_TAG = 9;
const ERR_BAD_ATTRIBUTE = 10;
const ERR_LT_IN_ATTRIBUTE = 11;
const ERR_DUPLICATE_ATTRIBUTE = 12;
const ERR_TOO_MANY_ATTRIBUTES = 13;
const ERR_UNKNOWN_DECLARATION = 14;
const ERR_CDATA_OUTSIDE_ROOT = 15;
const ERR_MISPLACED_DOCTYPE = 16;
const ERR_BAD_DOCTYPE = 17;
const ERR_DOCTYPE_INTERNAL_SUBSET = 18;
const ERR_SECOND_ROOT = 19;
const ERR_NO_ROOT = 20;
const ERR_UNCLOSED_ELEMENT = 21;
const ERR_TOO_DEEP = 22;
const ERR_TOO_MANY_ELEMENTS = 23;

const FACT_VERSION = 0;
const FACT_SESSION_TYPE = 1;
const FACT_SESSION_ID = 2;
const FACT_TRANSACTION_MODE = 3;
const FACT_TRANSACTION_ID = 4;
const FACT_PRIMITIVE = 5;
const FACT_POLL = 6;
const FACT_COUNT = 7;
const VERSION_SSP = 4;

const ROLE_OTHER = 0;
const ROLE_ROOT = 1;
const ROLE_SESSION = 2;
const ROLE_SESSION_DESCRIPTOR = 3;
const ROLE_TRANSACTION = 4;
const ROLE_TRANSACTION_DESCRIPTOR = 5;
const ROLE_TRANSACTION_CONTENT = 6;

const LT: u32 = 0x3c;
const GT: u32 = 0x3e;
const AMP: u32 = 0x26;
const SLASH: u32 = 0x2f;
const BANG: u32 = 0x21;
const QUESTION: u32 = 0x3f;
const QUOTE: u32 = 0x22;
const APOS: u32 = 0x27;
const EQUALS: u32 = 0x3d;
const SEMICOLON: u32 = 0x3b;
const HASH: u32 = 0x23;
const LBRACKET: u32 = 0x5b;

// Results layout (int32 words at RESULTS): count, error code, error offset, the facts, then the
// generation of the interned ids.
const R_COUNT: usize = 0;
const R_ERROR: usize = 4;
const R_OFFSET: usize = 8;
const R_FACTS: usize = 12;
const R_NAME_GENERATION: usize = R_FACTS + FACT_COUNT * 4;

let base: usize = 0;
let len: i32 = 0;
let tokens: usize = 0;
let count: i32 = 0;
let stack: usize = 0;
let firstTransactionSeen = false;
let errorCode: i32 = 0;
let errorOffset: i32 = 0;

/** Separate from the output buffer: the stack must not move while tokens are written. */
let stackBase: usize = 0;
let stackCapacity: usize = 0;

/**
 * Tokenizes the `length` input bytes. Tokens go to outputPtr() (3 int32 words each); results
 * hold the token count, error code and offset, and the facts. Returns the error code.
 */
export function tokenizeXml(length: i32, maxDepth: i32, maxElements: i32): i32 {
  base = inputPtr();
  len = length;
  tokens = reserveOutput((<usize>length + 2) * 12);
  const stackBytes = (<usize>maxDepth + 1) * 12;
  if (stackBytes > stackCapacity) {
    if (stackBase != 0) heap.free(stackBase);
    stackBase = heap.alloc(stackBytes);
    stackCapacity = stackBytes;
  }
  stack = stackBase;
  count = 0;
  for (let f = 0; f < FACT_COUNT; f++) store<i32>(RESULTS + R_FACTS + (<usize>f << 2), -1);
  setFact(FACT_VERSION, 0);
  firstTransactionSeen = false;
  errorCode = 0;
  errorOffset = 0;
  store<i32>(RESULTS + R_NAME_GENERATION, renewNamesIfFull());
  document(maxDepth, maxElements);
  store<i32>(RESULTS + R_COUNT, count);
  store<i32>(RESULTS + R_ERROR, errorCode);
  store<i32>(RESULTS + R_OFFSET, errorOffset);
  return errorCode;
}

/** Records an error; returns -1 so callers can `return fail(...)`. */
function fail(code: i32, offset: i32): i32 {
  errorCode = code;
  errorOffset = offset;
  return -1;
}

// @ts-ignore: decorator
@inline
function at(pos: i32): u32 {
  return <u32>load<u8>(base + <usize>pos);
}

function document(maxDepth: i32, maxElements: i32): void {
  let pos = len >= 3 && at(0) == 0xef && at(1) == 0xbb && at(2) == 0xbf ? 3 : 0;
  let depth = 0;
  let elements = 0;
  let rootSeen = false;
  let doctypeSeen = false;
  while (pos < len) {
    const c = at(pos);
    if (c != LT) {
      if (depth == 0) {
        if ((classOf(c) & SPACE) == 0) {
          fail(ERR_TEXT_OUTSIDE_ROOT, pos);
          return;
        }
        pos++;
      } else {
        pos = text(pos);
        if (pos < 0) return;
      }
      continue;
    }
    if (pos + 1 >= len) {
      fail(ERR_UNEXPECTED_END, len);
      return;
    }
    const next = at(pos + 1);
    if (next == SLASH) {
      if (depth == 0) {
        fail(ERR_STRAY_END_TAG, pos);
        return;
      }
      depth--;
      pos = endTag(pos, depth);
    } else if (next == QUESTION) {
      pos = find(pos + 2, "?>");
      if (pos >= 0) pos += 2;
    } else if (next == BANG) {
      if (startsWith(pos, "<!--")) {
        pos = find(pos + 4, "-->");
        if (pos >= 0) pos += 3;
      } else if (startsWith(pos, "<![CDATA[")) {
        if (depth == 0) {
          fail(ERR_CDATA_OUTSIDE_ROOT, pos);
          return;
        }
        const end = find(pos + 9, "]]>");
        if (end < 0) return;
        emit(TOKEN_CDATA, pos + 9, end);
        pos = end + 3;
      } else if (startsWith(pos, "<!DOCTYPE")) {
        if (rootSeen || doctypeSeen) {
          fail(ERR_MISPLACED_DOCTYPE, pos);
          return;
        }
        doctypeSeen = true;
        pos = doctype(pos + 9);
      } else {
        fail(ERR_UNKNOWN_DECLARATION, pos);
        return;
      }
    } else {
      if (rootSeen && depth == 0) {
        fail(ERR_SECOND_ROOT, pos);
        return;
      }
      const nameEnd = name(pos + 1);
      if (nameEnd == pos + 1) {
        fail(ERR_STRAY_LT, pos);
        return;
      }
      if (depth >= maxDepth) {
        fail(ERR_TOO_DEEP, pos);
        return;
      }
      if (++elements > maxElements) {
        fail(ERR_TOO_MANY_ELEMENTS, pos);
        return;
      }
      rootSeen = true;
      const end = startTag(pos + 1, nameEnd, depth);
      if (end < 0) return;
      if (at(end - 2) == SLASH) {
        emit(TOKEN_CLOSE, end - 2, end - 2);
      } else {
        depth++;
      }
      pos = end;
    }
    if (pos < 0) return;
  }
  if (depth > 0) fail(ERR_UNCLOSED_ELEMENT, len);
  else if (!rootSeen) fail(ERR_NO_ROOT, len);
}

/**
 * Offset of the first `a` or `b` byte at or after `pos`, or `len` when there is none. Loads may
 * run up to 15 bytes past `len`: the input buffer keeps INPUT_SLACK bytes there.
 */
function findEither(pos: i32, a: u8, b: u8): i32 {
  const va = i8x16.splat(a);
  const vb = i8x16.splat(b);
  while (pos < len) {
    const v = v128.load(base + <usize>pos);
    const mask = i8x16.bitmask(v128.or(i8x16.eq(v, va), i8x16.eq(v, vb)));
    if (mask != 0) return min(pos + <i32>ctz(mask), len);
    pos += 16;
  }
  return len;
}

/** Offset of the first `a`, `b` or `c` byte at or after `pos`, or `len` when there is none. */
function findAny(pos: i32, a: u8, b: u8, c: u8): i32 {
  const va = i8x16.splat(a);
  const vb = i8x16.splat(b);
  const vc = i8x16.splat(c);
  while (pos < len) {
    const v = v128.load(base + <usize>pos);
    const hits = v128.or(v128.or(i8x16.eq(v, va), i8x16.eq(v, vb)), i8x16.eq(v, vc));
    const mask = i8x16.bitmask(hits);
    if (mask != 0) return min(pos + <i32>ctz(mask), len);
    pos += 16;
  }
  return len;
}

/** Character data from `pos` up to the next `<`; returns where it stopped, or -1. */
function text(pos: i32): i32 {
  const start = pos;
  let flags = 0;
  while (true) {
    pos = findEither(pos, <u8>LT, <u8>AMP);
    if (pos >= len || at(pos) == LT) break;
    pos = reference(pos);
    if (pos < 0) return -1;
    flags = TOKEN_HAS_REFERENCE;
  }
  emit(TOKEN_TEXT | flags, start, pos);
  return pos;
}

/** Validates the reference at `pos` (an `&`); returns the offset after its `;`, or -1. */
function reference(pos: i32): i32 {
  let p = pos + 1;
  if (p < len && at(p) == HASH) {
    p++;
    const hex = p < len && at(p) == 0x78;
    if (hex) p++;
    const digitsStart = p;
    let value: u32 = 0;
    while (p < len) {
      const d = digitValue(at(p), hex);
      if (d < 0) break;
      value = min<u32>(value * (hex ? 16 : 10) + <u32>d, 0x110000);
      p++;
    }
    if (p == digitsStart || p >= len || at(p) != SEMICOLON || !isXmlChar(value)) {
      return fail(ERR_BAD_REFERENCE, pos);
    }
    return p + 1;
  }
  const nameEnd = name(p);
  if (nameEnd == p || nameEnd >= len || at(nameEnd) != SEMICOLON) {
    return fail(ERR_BAD_REFERENCE, pos);
  }
  if (
    equals(p, nameEnd, "lt") || equals(p, nameEnd, "gt") || equals(p, nameEnd, "amp") ||
    equals(p, nameEnd, "apos") || equals(p, nameEnd, "quot")
  ) {
    return nameEnd + 1;
  }
  return fail(ERR_UNDEFINED_ENTITY, pos);
}

/** The start tag whose name spans [nameStart, nameEnd); returns the offset after `>`, or -1. */
function startTag(nameStart: i32, nameEnd: i32, depth: i32): i32 {
  const role = roleOf(nameStart, nameEnd, depth);
  const top = stack + <usize>depth * 12;
  store<i32>(top, nameStart);
  store<i32>(top, nameEnd, 4);
  store<i32>(top, role, 8);
  emit(TOKEN_OPEN | internedId(nameStart, nameEnd), nameStart, nameEnd);
  const firstAttribute = count;
  let p = nameEnd;
  while (true) {
    const q = skipSpace(p);
    if (q >= len) return fail(ERR_UNEXPECTED_END, len);
    const c = at(q);
    if (c == GT) return q + 1;
    if (c == SLASH) {
      if (q + 1 >= len) return fail(ERR_UNEXPECTED_END, len);
      if (at(q + 1) != GT) return fail(ERR_BAD_START_TAG, q);
      return q + 2;
    }
    if (q == p) return fail(ERR_BAD_START_TAG, q);
    p = attribute(q, firstAttribute, role, depth);
    if (p < 0) return -1;
  }
}

/** One `name="value"` at `pos`; returns the offset after its closing quote, or -1. */
function attribute(pos: i32, firstAttribute: i32, role: i32, depth: i32): i32 {
  const nameEnd = name(pos);
  if (nameEnd == pos) return fail(ERR_BAD_ATTRIBUTE, pos);
  if ((count - firstAttribute) >> 1 >= MAX_ATTRIBUTES) return fail(ERR_TOO_MANY_ATTRIBUTES, pos);
  for (let t = firstAttribute; t < count; t += 2) {
    const w = tokens + <usize>t * 12;
    if (sameBytes(load<i32>(w, 4), load<i32>(w, 8), pos, nameEnd)) {
      return fail(ERR_DUPLICATE_ATTRIBUTE, pos);
    }
  }
  let p = skipSpace(nameEnd);
  if (p >= len) return fail(ERR_UNEXPECTED_END, len);
  if (at(p) != EQUALS) return fail(ERR_BAD_ATTRIBUTE, p);
  p = skipSpace(p + 1);
  if (p >= len) return fail(ERR_UNEXPECTED_END, len);
  const quote = at(p);
  if (quote != QUOTE && quote != APOS) return fail(ERR_BAD_ATTRIBUTE, p);
  const valueStart = ++p;
  let flags = 0;
  while (true) {
    p = findAny(p, <u8>quote, <u8>LT, <u8>AMP);
    if (p >= len) return fail(ERR_UNEXPECTED_END, len);
    const c = at(p);
    if (c == quote) break;
    if (c == LT) return fail(ERR_LT_IN_ATTRIBUTE, p);
    p = reference(p);
    if (p < 0) return -1;
    flags = TOKEN_HAS_REFERENCE;
  }
  emit(TOKEN_ATTR_NAME | internedId(pos, nameEnd), pos, nameEnd);
  emit(TOKEN_ATTR_VALUE | (flags != 0 ? flags : internedId(valueStart, p)), valueStart, p);
  attributeFact(role, depth, pos, nameEnd, valueStart, p);
  return p + 1;
}

/** The end tag at `pos` closing the element at `depth`; returns the offset after `>`, or -1. */
function endTag(pos: i32, depth: i32): i32 {
  const nameEnd = name(pos + 2);
  if (nameEnd == pos + 2) return fail(ERR_BAD_END_TAG, pos + 2);
  const top = stack + <usize>depth * 12;
  if (!sameBytes(load<i32>(top), load<i32>(top, 4), pos + 2, nameEnd)) {
    return fail(ERR_MISMATCHED_TAG, pos);
  }
  const p = skipSpace(nameEnd);
  if (p >= len) return fail(ERR_UNEXPECTED_END, len);
  if (at(p) != GT) return fail(ERR_BAD_END_TAG, p);
  emit(TOKEN_CLOSE, pos + 2, nameEnd);
  return p + 1;
}

/** A DOCTYPE from just after `<!DOCTYPE`: name, literals and keywords, no internal subset. */
function doctype(pos: i32): i32 {
  let p = skipSpace(pos);
  if (p == pos || p >= len) return fail(ERR_BAD_DOCTYPE, pos);
  const nameEnd = name(p);
  if (nameEnd == p) return fail(ERR_BAD_DOCTYPE, p);
  p = nameEnd;
  while (true) {
    p = skipSpace(p);
    if (p >= len) return fail(ERR_UNEXPECTED_END, len);
    const c = at(p);
    if (c == GT) return p + 1;
    if (c == LBRACKET) return fail(ERR_DOCTYPE_INTERNAL_SUBSET, p);
    if (c == QUOTE || c == APOS) {
      p++;
      while (p < len && at(p) != c) p++;
      if (p >= len) return fail(ERR_UNEXPECTED_END, len);
      p++;
    } else {
      const end = name(p);
      if (end == p) return fail(ERR_BAD_DOCTYPE, p);
      p = end;
    }
  }
}

/** The role of a new element at `depth`, recording element facts on the way. */
function roleOf(nameStart: i32, nameEnd: i32, depth: i32): i32 {
  if (depth == 0) return ROLE_ROOT;
  const parent = load<i32>(stack + <usize>(depth - 1) * 12, 8);
  const ssp = fact(FACT_VERSION) == VERSION_SSP;
  const index = count;
  switch (parent) {
    case ROLE_ROOT:
      if (equals(nameStart, nameEnd, "Session")) return ROLE_SESSION;
      if (ssp && equals(nameStart, nameEnd, "SetupTransaction")) return transaction();
      return ROLE_OTHER;
    case ROLE_SESSION:
      if (equals(nameStart, nameEnd, "Transaction")) return transaction();
      if (ssp) return ROLE_OTHER;
      if (equals(nameStart, nameEnd, "SessionDescriptor")) return ROLE_SESSION_DESCRIPTOR;
      if (equals(nameStart, nameEnd, "Poll")) setFactOnce(FACT_POLL, index);
      return ROLE_OTHER;
    case ROLE_SESSION_DESCRIPTOR:
      if (equals(nameStart, nameEnd, "SessionType")) {
        setFactOnce(FACT_SESSION_TYPE, index);
      } else if (equals(nameStart, nameEnd, "SessionID")) {
        setFactOnce(FACT_SESSION_ID, index);
      }
      return ROLE_OTHER;
    case ROLE_TRANSACTION:
      if (ssp) {
        setFactOnce(FACT_PRIMITIVE, index);
        return ROLE_OTHER;
      }
      if (equals(nameStart, nameEnd, "TransactionDescriptor")) return ROLE_TRANSACTION_DESCRIPTOR;
      if (equals(nameStart, nameEnd, "TransactionContent")) return ROLE_TRANSACTION_CONTENT;
      return ROLE_OTHER;
    case ROLE_TRANSACTION_DESCRIPTOR:
      if (equals(nameStart, nameEnd, "TransactionMode")) {
        setFactOnce(FACT_TRANSACTION_MODE, index);
      } else if (equals(nameStart, nameEnd, "TransactionID")) {
        setFactOnce(FACT_TRANSACTION_ID, index);
      } else if (equals(nameStart, nameEnd, "Poll")) {
        setFactOnce(FACT_POLL, index);
      }
      return ROLE_OTHER;
    case ROLE_TRANSACTION_CONTENT:
      setFactOnce(FACT_PRIMITIVE, index);
      return ROLE_OTHER;
  }
  return ROLE_OTHER;
}

/** Only the first transaction of a message gives facts. */
function transaction(): i32 {
  if (firstTransactionSeen) return ROLE_OTHER;
  firstTransactionSeen = true;
  return ROLE_TRANSACTION;
}

/** Facts carried by attributes: the root namespace, and SSP's session and transaction ids. */
function attributeFact(
  role: i32,
  depth: i32,
  nameStart: i32,
  nameEnd: i32,
  valueStart: i32,
  valueEnd: i32,
): void {
  const valueToken = count - 1;
  if (role == ROLE_ROOT && depth == 0) {
    if (equals(nameStart, nameEnd, "xmlns")) {
      if (equals(valueStart, valueEnd, "http://www.wireless-village.org/CSP1.1")) {
        setFact(FACT_VERSION, 1);
      } else if (equals(valueStart, valueEnd, "http://www.openmobilealliance.org/DTD/WV-CSP1.2")) {
        setFact(FACT_VERSION, 2);
      } else if (equals(valueStart, valueEnd, "http://www.openmobilealliance.org/DTD/IMPS-CSP1.3")) {
        setFact(FACT_VERSION, 3);
      } else if (equals(valueStart, valueEnd, "http://www.openmobilealliance.org/DTD/WV-SSP1.3")) {
        setFact(FACT_VERSION, VERSION_SSP);
      }
    }
  } else if (fact(FACT_VERSION) == VERSION_SSP) {
    if (role == ROLE_SESSION && equals(nameStart, nameEnd, "sessionID")) {
      setFactOnce(FACT_SESSION_ID, valueToken);
    } else if (role == ROLE_TRANSACTION) {
      if (equals(nameStart, nameEnd, "mode")) {
        setFactOnce(FACT_TRANSACTION_MODE, valueToken);
      } else if (equals(nameStart, nameEnd, "transactionID")) {
        setFactOnce(FACT_TRANSACTION_ID, valueToken);
      }
    }
  }
}

function fact(f: i32): i32 {
  return load<i32>(RESULTS + R_FACTS + (<usize>f << 2));
}

function setFact(f: i32, value: i32): void {
  store<i32>(RESULTS + R_FACTS + (<usize>f << 2), value);
}

function setFactOnce(f: i32, value: i32): void {
  if (fact(f) < 0) setFact(f, value);
}

// @ts-ignore: decorator
@inline
function emit(kind: i32, start: i32, end: i32): void {
  const w = tokens + <usize>count * 12;
  store<i32>(w, kind);
  store<i32>(w, start, 4);
  store<i32>(w, end, 8);
  count++;
}

/** The interned id of the span, placed where the token's first word carries it. */
function internedId(start: i32, end: i32): i32 {
  return intern(base + <usize>start, end - start) << TOKEN_ID_SHIFT;
}

/** End of the XML name starting at `pos` (== pos when there is none). */
function name(pos: i32): i32 {
  if (pos >= len || (classOf(at(pos)) & NAME_START) == 0) return pos;
  pos++;
  while (pos < len && (classOf(at(pos)) & NAME_CHAR) != 0) pos++;
  return pos;
}

function skipSpace(pos: i32): i32 {
  while (pos < len && (classOf(at(pos)) & SPACE) != 0) pos++;
  return pos;
}

/** Offset of the next `needle` at or after `pos`, or -1 (unexpected end) when there is none. */
function find(pos: i32, needle: string): i32 {
  const last = len - needle.length;
  const first = <u32>needle.charCodeAt(0);
  for (; pos <= last; pos++) {
    if (at(pos) == first && startsWith(pos, needle)) return pos;
  }
  return fail(ERR_UNEXPECTED_END, len);
}

function startsWith(pos: i32, needle: string): bool {
  if (pos + needle.length > len) return false;
  return equalsAscii(base + <usize>pos, needle.length, needle);
}

function equals(start: i32, end: i32, expected: string): bool {
  return equalsAscii(base + <usize>start, end - start, expected);
}

function sameBytes(aStart: i32, aEnd: i32, bStart: i32, bEnd: i32): bool {
  if (aEnd - aStart != bEnd - bStart) return false;
  return memory.compare(base + <usize>aStart, base + <usize>bStart, <usize>(aEnd - aStart)) == 0;
}

function digitValue(c: u32, hex: bool): i32 {
  if (c >= 0x30 && c <= 0x39) return <i32>c - 0x30;
  if (!hex) return -1;
  const lower = c | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? <i32>lower - 0x61 + 10 : -1;
}

/** XML 1.0 `Char`: the code points a character reference may name. */
function isXmlChar(cp: u32): bool {
  if (cp < 0x20) return cp == 0x09 || cp == 0x0a || cp == 0x0d;
  return cp <= 0xd7ff || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
}
