/**
 * The pure-TypeScript WBXML tokenizer. `wasm/assembly/wbxml.ts` is the same algorithm line for
 * line; both must give identical tokens, header fields and error offsets.
 */
import {
  charsetWidth,
  WB_ATTR,
  WB_ATTR_END,
  WB_ATTR_LITERAL,
  WB_AUX_SHIFT,
  WB_CLOSE,
  WB_ENTITY,
  WB_EXT,
  WB_MAX_ATTRIBUTES,
  WB_OPAQUE,
  WB_OPEN,
  WB_OPEN_LITERAL,
  WB_STRING,
  WB_TOKEN_WORDS,
  WBERR_CHARSET,
  WBERR_CONTENT_OUTSIDE_ROOT,
  WBERR_MB_OVERFLOW,
  WBERR_MB_TOO_LONG,
  WBERR_NO_ROOT,
  WBERR_OPAQUE_TOO_LONG,
  WBERR_SECOND_ROOT,
  WBERR_STRAY_END,
  WBERR_STRING_TABLE_TOO_LONG,
  WBERR_TABLE_REFERENCE,
  WBERR_TOO_DEEP,
  WBERR_TOO_MANY_ATTRIBUTES,
  WBERR_TOO_MANY_ELEMENTS,
  WBERR_UNCLOSED_ELEMENT,
  WBERR_UNEXPECTED_END,
  WBERR_UNSUPPORTED_TOKEN,
  WBERR_UNTERMINATED_STRING,
  WBERR_VALUE_BEFORE_ATTRIBUTE,
  WBERR_VERSION,
  type WbxmlTokenizer,
  type WbxmlTokens,
} from "./wbxml_tokens.ts";

// Global tokens (WBXML 1.3 section 7.1).
const SWITCH_PAGE = 0x00, END = 0x01, ENTITY = 0x02, STR_I = 0x03, LITERAL = 0x04;
const EXT_T_0 = 0x80, STR_T = 0x83, OPAQUE = 0xc3;
const TAG_ATTRIBUTES = 0x80, TAG_CONTENT = 0x40, TAG_TOKEN = 0x3f;

/** Thrown internally to unwind to `tokenize`; never escapes it. */
class Stop {
  constructor(readonly code: number, readonly offset: number) {}
}

/** Global tokens CSP has no use for: PI, EXT_I_n, EXT_T_1/2 and EXT_n. (LITERAL_C, _A and _AC
 * are tags, so they are refused only where an attribute is expected.) */
function isUnsupportedGlobal(b: number): boolean {
  return (b >= 0x40 && b <= 0x43) || b === 0x81 || b === 0x82 || (b >= 0xc0 && b <= 0xc2);
}

// What a byte is in content: a global token of its own, a string/value, one CSP has no use for,
// or a tag (LITERAL and its forms included).
const B_TAG = 0, B_SWITCH_PAGE = 1, B_END = 2, B_VALUE = 3, B_UNSUPPORTED = 4;
const BYTE_CLASS = new Uint8Array(256);
for (let b = 0; b < 256; b++) {
  let k = B_TAG;
  if (b === SWITCH_PAGE) k = B_SWITCH_PAGE;
  else if (b === END) k = B_END;
  else if (b === ENTITY || b === STR_I || b === STR_T || b === EXT_T_0 || b === OPAQUE) k = B_VALUE;
  else if (isUnsupportedGlobal(b)) k = B_UNSUPPORTED;
  BYTE_CLASS[b] = k;
}

export class TsWbxmlTokenizer implements WbxmlTokenizer {
  private input: Uint8Array = new Uint8Array(0);
  private len = 0;
  private pos = 0;
  private tokens = new Int32Array(0);
  private count = 0;
  /** Bytes per character of the document charset: where a string's terminator may sit. */
  private width = 1;
  private tableStart = 0;
  private tableEnd = 0;
  /** Per string-table byte, where the string starting there ends; made at the first STR_T, so
   * that many references into one long unterminated table cost one pass over it. */
  private tableEnds = new Int32Array(0);
  private tableEndsReady = false;
  private tagPage = 0;
  private attrPage = 0;

  tokenize(input: Uint8Array, maxDepth: number, maxElements: number): WbxmlTokens {
    this.input = input;
    this.len = input.length;
    this.pos = 0;
    // A tag without content gives two tokens from one byte; nothing gives more.
    const words = (2 * input.length + 4) * WB_TOKEN_WORDS;
    if (this.tokens.length < words) this.tokens = new Int32Array(words);
    this.count = 0;
    this.tableEndsReady = false;
    this.tagPage = 0;
    this.attrPage = 0;
    const result: WbxmlTokens = {
      tokens: this.tokens,
      count: 0,
      errorCode: 0,
      errorOffset: 0,
      version: 0,
      publicId: 0,
      publicIdStart: -1,
      publicIdEnd: -1,
      charset: 0,
    };
    try {
      this.header(result);
      this.body(maxDepth, maxElements);
    } catch (e) {
      if (!(e instanceof Stop)) throw e;
      result.errorCode = e.code;
      result.errorOffset = e.offset;
    }
    result.count = this.count;
    return result;
  }

  private header(result: WbxmlTokens): void {
    const version = this.byte();
    result.version = version;
    if (version < 1 || version > 3) throw new Stop(WBERR_VERSION, 0);
    this.pos = 1;
    const publicId = this.mb();
    result.publicId = publicId | 0;
    const publicIdIndex = publicId === 0 ? this.mb() : -1;
    const charsetAt = this.pos;
    const charset = this.mb();
    result.charset = charset | 0;
    this.width = charsetWidth(charset);
    if (this.width === 0) throw new Stop(WBERR_CHARSET, charsetAt);
    const lengthAt = this.pos;
    const length = this.mb();
    if (length > this.len - this.pos) throw new Stop(WBERR_STRING_TABLE_TOO_LONG, lengthAt);
    this.tableStart = this.pos;
    this.tableEnd = this.pos + length;
    this.pos = this.tableEnd;
    if (publicIdIndex >= 0) {
      result.publicIdStart = this.tableStart + this.tableOffset(publicIdIndex, lengthAt);
      result.publicIdEnd = this.tableString(result.publicIdStart, lengthAt);
    }
  }

  private body(maxDepth: number, maxElements: number): void {
    let depth = 0, elements = 0, rootSeen = false;
    while (this.pos < this.len) {
      const at = this.pos;
      const b = this.input[at];
      const kind = BYTE_CLASS[b];
      if (kind === B_SWITCH_PAGE) {
        this.pos++;
        this.tagPage = this.byte();
        this.pos++;
      } else if (kind === B_END) {
        if (depth === 0) throw new Stop(WBERR_STRAY_END, at);
        this.emit(WB_CLOSE, at, 0);
        depth--;
        this.pos++;
      } else if (kind === B_VALUE) {
        if (depth === 0) throw new Stop(WBERR_CONTENT_OUTSIDE_ROOT, at);
        this.value(b);
      } else if (kind === B_UNSUPPORTED) {
        throw new Stop(WBERR_UNSUPPORTED_TOKEN, at);
      } else {
        if (depth === 0 && rootSeen) throw new Stop(WBERR_SECOND_ROOT, at);
        if (depth >= maxDepth) throw new Stop(WBERR_TOO_DEEP, at);
        if (++elements > maxElements) throw new Stop(WBERR_TOO_MANY_ELEMENTS, at);
        rootSeen = true;
        this.pos++;
        if ((b & TAG_TOKEN) === LITERAL) {
          const start = this.tableStart + this.tableOffset(this.mb(), at);
          this.emit(WB_OPEN_LITERAL, start, this.tableString(start, at));
        } else {
          this.emit(WB_OPEN | ((this.tagPage << 6 | (b & TAG_TOKEN)) << WB_AUX_SHIFT), at, 0);
        }
        if ((b & TAG_ATTRIBUTES) !== 0) this.attributes();
        if ((b & TAG_CONTENT) !== 0) depth++;
        else this.emit(WB_CLOSE, this.pos, 0);
      }
    }
    if (depth > 0) throw new Stop(WBERR_UNCLOSED_ELEMENT, this.len);
    if (!rootSeen) throw new Stop(WBERR_NO_ROOT, this.len);
  }

  /** An attribute list up to and including its END. */
  private attributes(): void {
    let attributes = 0;
    while (true) {
      const at = this.pos;
      const b = this.byte();
      if (b === SWITCH_PAGE) {
        this.pos++;
        this.attrPage = this.byte();
        this.pos++;
      } else if (b === END) {
        this.emit(WB_ATTR_END, at, 0);
        this.pos++;
        return;
      } else if (b === ENTITY || b === STR_I || b === STR_T || b === EXT_T_0 || b === OPAQUE) {
        if (attributes === 0) throw new Stop(WBERR_VALUE_BEFORE_ATTRIBUTE, at);
        this.value(b);
      } else if (isUnsupportedGlobal(b) || ((b & TAG_TOKEN) === LITERAL && b !== LITERAL)) {
        throw new Stop(WBERR_UNSUPPORTED_TOKEN, at);
      } else if (b < 0x80) {
        if (++attributes > WB_MAX_ATTRIBUTES) throw new Stop(WBERR_TOO_MANY_ATTRIBUTES, at);
        this.pos++;
        if (b === LITERAL) {
          const start = this.tableStart + this.tableOffset(this.mb(), at);
          this.emit(WB_ATTR_LITERAL, start, this.tableString(start, at));
        } else {
          this.emit(WB_ATTR | ((this.attrPage << 8 | b) << WB_AUX_SHIFT), at, 0);
        }
      } else {
        throw new Stop(WBERR_UNSUPPORTED_TOKEN, at);
      }
    }
  }

  /** A string, EXT_T_0, ENTITY or OPAQUE starting with token `b` at `pos`. */
  private value(b: number): void {
    const at = this.pos++;
    if (b === STR_I) {
      const end = this.inlineString(this.pos, at);
      this.emit(WB_STRING, this.pos, end);
      this.pos = end + this.width;
    } else if (b === STR_T) {
      const start = this.tableStart + this.tableOffset(this.mb(), at);
      this.emit(WB_STRING, start, this.tableString(start, at));
    } else if (b === OPAQUE) {
      const length = this.mb();
      if (length > this.len - this.pos) throw new Stop(WBERR_OPAQUE_TOO_LONG, at);
      this.emit(WB_OPAQUE, this.pos, this.pos + length);
      this.pos += length;
    } else {
      this.emit(b === EXT_T_0 ? WB_EXT : WB_ENTITY, this.mb() | 0, at);
    }
  }

  /** The byte at `pos`; stops at the end of input. */
  private byte(): number {
    if (this.pos >= this.len) throw new Stop(WBERR_UNEXPECTED_END, this.len);
    return this.input[this.pos];
  }

  /** An mb_u_int32 at `pos` (at most 5 bytes, at most 2^32 - 1), moving past it. */
  private mb(): number {
    const at = this.pos;
    const first = this.byte();
    if (first < 0x80) {
      this.pos++;
      return first;
    }
    let value = 0;
    for (let i = 0; i < 5; i++) {
      const b = this.byte();
      this.pos++;
      value = value * 128 + (b & 0x7f);
      if ((b & 0x80) === 0) {
        if (value > 0xffffffff) throw new Stop(WBERR_MB_OVERFLOW, at);
        return value;
      }
    }
    throw new Stop(WBERR_MB_TOO_LONG, at);
  }

  /** A string-table offset, checked against the table's length. */
  private tableOffset(offset: number, at: number): number {
    if (offset >= this.tableEnd - this.tableStart) throw new Stop(WBERR_TABLE_REFERENCE, at);
    return offset;
  }

  /** Where the inline string starting at `start` ends (its terminator). */
  private inlineString(start: number, at: number): number {
    const input = this.input, len = this.len;
    if (this.width === 1) {
      const end = input.indexOf(0, start);
      if (end < 0) throw new Stop(WBERR_UNTERMINATED_STRING, at);
      return end;
    }
    for (let i = start; i + 1 < len; i += 2) {
      if (input[i] === 0 && input[i + 1] === 0) return i;
    }
    throw new Stop(WBERR_UNTERMINATED_STRING, at);
  }

  /** Where the string-table string starting at `start` ends, within the table. */
  private tableString(start: number, at: number): number {
    if (!this.tableEndsReady) this.findTableEnds();
    const end = this.tableEnds[start - this.tableStart];
    if (end < 0) throw new Stop(WBERR_UNTERMINATED_STRING, at);
    return end;
  }

  private findTableEnds(): void {
    const length = this.tableEnd - this.tableStart, input = this.input, w = this.width;
    if (this.tableEnds.length < length) this.tableEnds = new Int32Array(length);
    const ends = this.tableEnds, base = this.tableStart;
    for (let i = length - 1; i >= 0; i--) {
      const terminated = w === 1
        ? input[base + i] === 0
        : i + 1 < length && input[base + i] === 0 && input[base + i + 1] === 0;
      ends[i] = terminated ? base + i : i + w < length ? ends[i + w] : -1;
    }
    this.tableEndsReady = true;
  }

  private emit(word: number, a: number, b: number): void {
    const w = this.count * WB_TOKEN_WORDS;
    this.tokens[w] = word;
    this.tokens[w + 1] = a;
    this.tokens[w + 2] = b;
    this.count++;
  }
}
