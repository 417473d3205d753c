/**
 * The pure-TypeScript XML envelope tokenizer. `wasm/assembly/xml.ts` is the same algorithm line
 * for line; both must give identical tokens, facts and error offsets.
 */
import {
  ERR_BAD_ATTRIBUTE,
  ERR_BAD_DOCTYPE,
  ERR_BAD_END_TAG,
  ERR_BAD_REFERENCE,
  ERR_BAD_START_TAG,
  ERR_CDATA_OUTSIDE_ROOT,
  ERR_DOCTYPE_INTERNAL_SUBSET,
  ERR_DUPLICATE_ATTRIBUTE,
  ERR_LT_IN_ATTRIBUTE,
  ERR_MISMATCHED_TAG,
  ERR_MISPLACED_DOCTYPE,
  ERR_NO_ROOT,
  ERR_SECOND_ROOT,
  ERR_STRAY_END_TAG,
  ERR_STRAY_LT,
  ERR_TEXT_OUTSIDE_ROOT,
  ERR_TOO_DEEP,
  ERR_TOO_MANY_ATTRIBUTES,
  ERR_TOO_MANY_ELEMENTS,
  ERR_UNCLOSED_ELEMENT,
  ERR_UNDEFINED_ENTITY,
  ERR_UNEXPECTED_END,
  ERR_UNKNOWN_DECLARATION,
  FACT_COUNT,
  FACT_POLL,
  FACT_PRIMITIVE,
  FACT_SESSION_ID,
  FACT_SESSION_TYPE,
  FACT_TRANSACTION_ID,
  FACT_TRANSACTION_MODE,
  FACT_VERSION,
  MAX_ATTRIBUTES,
  TOKEN_ATTR_NAME,
  TOKEN_ATTR_VALUE,
  TOKEN_CDATA,
  TOKEN_CLOSE,
  TOKEN_HAS_REFERENCE,
  TOKEN_OPEN,
  TOKEN_TEXT,
  TOKEN_WORDS,
  type TokenizeResult,
  VERSION_NAMESPACES,
  VERSION_SSP,
  VERSION_UNKNOWN,
  type XmlTokenizer,
} from "./xml_tokens.ts";

const LT = 0x3c, GT = 0x3e, AMP = 0x26, SLASH = 0x2f, BANG = 0x21, QUESTION = 0x3f;
const QUOTE = 0x22, APOS = 0x27, EQUALS = 0x3d, SEMICOLON = 0x3b, HASH = 0x23, LBRACKET = 0x5b;

const NAME_START = 1, NAME_CHAR = 2, SPACE = 4;
/** Byte classes: ASCII per XML 1.0 names, and every byte >= 0x80 as a name byte (UTF-8). */
const CLASS = new Uint8Array(256);
for (let c = 0; c < 256; c++) {
  const letter = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
  if (letter || c === 0x5f || c === 0x3a || c >= 0x80) CLASS[c] = NAME_START | NAME_CHAR;
  else if ((c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e) CLASS[c] = NAME_CHAR;
  else if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) CLASS[c] = SPACE;
}

const ascii = (s: string) => Uint8Array.from(s, (ch) => ch.charCodeAt(0));
const COMMENT_OPEN = ascii("<!--"), COMMENT_CLOSE = ascii("-->");
const CDATA_OPEN = ascii("<![CDATA["), CDATA_CLOSE = ascii("]]>");
const DOCTYPE_OPEN = ascii("<!DOCTYPE"), PI_CLOSE = ascii("?>");
const PREDEFINED_ENTITIES = ["lt", "gt", "amp", "apos", "quot"].map(ascii);
const NAMESPACES = VERSION_NAMESPACES.map(ascii);
const N_XMLNS = ascii("xmlns"), N_SESSION = ascii("Session");
const N_SESSION_DESCRIPTOR = ascii("SessionDescriptor"), N_SESSION_TYPE = ascii("SessionType");
const N_SESSION_ID = ascii("SessionID"), N_TRANSACTION = ascii("Transaction");
const N_SETUP_TRANSACTION = ascii("SetupTransaction"), N_POLL = ascii("Poll");
const N_TRANSACTION_DESCRIPTOR = ascii("TransactionDescriptor");
const N_TRANSACTION_CONTENT = ascii("TransactionContent");
const N_TRANSACTION_MODE = ascii("TransactionMode"), N_TRANSACTION_ID = ascii("TransactionID");
const N_SESSION_ID_ATTR = ascii("sessionID"), N_MODE_ATTR = ascii("mode");
const N_TRANSACTION_ID_ATTR = ascii("transactionID");

/** Where an element sits in the envelope; decides which facts its text or attributes give. */
const ROLE_OTHER = 0, ROLE_ROOT = 1, ROLE_SESSION = 2, ROLE_SESSION_DESCRIPTOR = 3;
const ROLE_TRANSACTION = 4, ROLE_TRANSACTION_DESCRIPTOR = 5, ROLE_TRANSACTION_CONTENT = 6;

/** Thrown internally to unwind to `tokenize`; never escapes it. */
class Stop {
  constructor(readonly code: number, readonly offset: number) {}
}

export class TsXmlTokenizer implements XmlTokenizer {
  private input: Uint8Array = new Uint8Array(0);
  private len = 0;
  private tokens = new Int32Array(0);
  private count = 0;
  private readonly facts = new Int32Array(FACT_COUNT);
  /** Per open element: name start, name end, role. */
  private stack = new Int32Array(0);
  private firstTransactionSeen = false;

  tokenize(input: Uint8Array, maxDepth: number, maxElements: number): TokenizeResult {
    this.input = input;
    this.len = input.length;
    const words = (input.length + 2) * TOKEN_WORDS; // every token consumes at least one byte
    if (this.tokens.length < words) this.tokens = new Int32Array(words);
    if (this.stack.length < (maxDepth + 1) * 3) this.stack = new Int32Array((maxDepth + 1) * 3);
    this.count = 0;
    this.facts.fill(-1);
    this.facts[FACT_VERSION] = VERSION_UNKNOWN;
    this.firstTransactionSeen = false;
    let errorCode = 0, errorOffset = 0;
    try {
      this.document(maxDepth, maxElements);
    } catch (e) {
      if (!(e instanceof Stop)) throw e;
      errorCode = e.code;
      errorOffset = e.offset;
    }
    const facts = this.facts.slice();
    return { tokens: this.tokens, count: this.count, facts, errorCode, errorOffset };
  }

  private document(maxDepth: number, maxElements: number): void {
    const input = this.input, len = this.len;
    let pos = len >= 3 && input[0] === 0xef && input[1] === 0xbb && input[2] === 0xbf ? 3 : 0;
    let depth = 0, elements = 0;
    let rootSeen = false, doctypeSeen = false;
    while (pos < len) {
      const c = input[pos];
      if (c !== LT) {
        if (depth === 0) {
          if ((CLASS[c] & SPACE) === 0) throw new Stop(ERR_TEXT_OUTSIDE_ROOT, pos);
          pos++;
        } else {
          pos = this.text(pos);
        }
        continue;
      }
      if (pos + 1 >= len) throw new Stop(ERR_UNEXPECTED_END, len);
      const next = input[pos + 1];
      if (next === SLASH) {
        if (depth === 0) throw new Stop(ERR_STRAY_END_TAG, pos);
        depth--;
        pos = this.endTag(pos, depth);
      } else if (next === QUESTION) {
        pos = this.find(pos + 2, PI_CLOSE) + 2;
      } else if (next === BANG) {
        if (this.startsWith(pos, COMMENT_OPEN)) {
          pos = this.find(pos + 4, COMMENT_CLOSE) + 3;
        } else if (this.startsWith(pos, CDATA_OPEN)) {
          if (depth === 0) throw new Stop(ERR_CDATA_OUTSIDE_ROOT, pos);
          const end = this.find(pos + 9, CDATA_CLOSE);
          this.emit(TOKEN_CDATA, pos + 9, end);
          pos = end + 3;
        } else if (this.startsWith(pos, DOCTYPE_OPEN)) {
          if (rootSeen || doctypeSeen) throw new Stop(ERR_MISPLACED_DOCTYPE, pos);
          doctypeSeen = true;
          pos = this.doctype(pos + 9);
        } else {
          throw new Stop(ERR_UNKNOWN_DECLARATION, pos);
        }
      } else {
        if (rootSeen && depth === 0) throw new Stop(ERR_SECOND_ROOT, pos);
        const nameEnd = this.name(pos + 1);
        if (nameEnd === pos + 1) throw new Stop(ERR_STRAY_LT, pos);
        if (depth >= maxDepth) throw new Stop(ERR_TOO_DEEP, pos);
        if (++elements > maxElements) throw new Stop(ERR_TOO_MANY_ELEMENTS, pos);
        rootSeen = true;
        const end = this.startTag(pos + 1, nameEnd, depth);
        if (input[end - 2] === SLASH) {
          this.emit(TOKEN_CLOSE, end - 2, end - 2);
        } else {
          depth++;
        }
        pos = end;
      }
    }
    if (depth > 0) throw new Stop(ERR_UNCLOSED_ELEMENT, len);
    if (!rootSeen) throw new Stop(ERR_NO_ROOT, len);
  }

  /** Character data from `pos` up to the next `<`; returns where it stopped. */
  private text(pos: number): number {
    const input = this.input, len = this.len, start = pos;
    let flags = 0;
    while (pos < len) {
      const c = input[pos];
      if (c === LT) break;
      if (c === AMP) {
        pos = this.reference(pos);
        flags = TOKEN_HAS_REFERENCE;
      } else {
        pos++;
      }
    }
    this.emit(TOKEN_TEXT | flags, start, pos);
    return pos;
  }

  /** Validates the reference at `pos` (an `&`); returns the offset after its `;`. */
  private reference(pos: number): number {
    const input = this.input, len = this.len;
    let p = pos + 1;
    if (p < len && input[p] === HASH) {
      p++;
      const hex = p < len && input[p] === 0x78;
      if (hex) p++;
      const digitsStart = p;
      let value = 0;
      while (p < len) {
        const d = digitValue(input[p], hex);
        if (d < 0) break;
        value = Math.min(value * (hex ? 16 : 10) + d, 0x110000);
        p++;
      }
      if (p === digitsStart || p >= len || input[p] !== SEMICOLON || !isXmlChar(value)) {
        throw new Stop(ERR_BAD_REFERENCE, pos);
      }
      return p + 1;
    }
    const nameEnd = this.name(p);
    if (nameEnd === p || nameEnd >= len || input[nameEnd] !== SEMICOLON) {
      throw new Stop(ERR_BAD_REFERENCE, pos);
    }
    for (const entity of PREDEFINED_ENTITIES) {
      if (this.equals(p, nameEnd, entity)) return nameEnd + 1;
    }
    throw new Stop(ERR_UNDEFINED_ENTITY, pos);
  }

  /** The start tag whose name spans [nameStart, nameEnd); returns the offset after its `>`. */
  private startTag(nameStart: number, nameEnd: number, depth: number): number {
    const input = this.input, len = this.len;
    const role = this.roleOf(nameStart, nameEnd, depth);
    const stack = this.stack, top = depth * 3;
    stack[top] = nameStart;
    stack[top + 1] = nameEnd;
    stack[top + 2] = role;
    this.emit(TOKEN_OPEN, nameStart, nameEnd);
    const firstAttribute = this.count;
    let p = nameEnd;
    for (;;) {
      const q = this.skipSpace(p);
      if (q >= len) throw new Stop(ERR_UNEXPECTED_END, len);
      const c = input[q];
      if (c === GT) return q + 1;
      if (c === SLASH) {
        if (q + 1 >= len) throw new Stop(ERR_UNEXPECTED_END, len);
        if (input[q + 1] !== GT) throw new Stop(ERR_BAD_START_TAG, q);
        return q + 2;
      }
      if (q === p) throw new Stop(ERR_BAD_START_TAG, q);
      p = this.attribute(q, firstAttribute, role, depth);
    }
  }

  /** One `name="value"` at `pos`; returns the offset after its closing quote. */
  private attribute(pos: number, firstAttribute: number, role: number, depth: number): number {
    const input = this.input, len = this.len;
    const nameEnd = this.name(pos);
    if (nameEnd === pos) throw new Stop(ERR_BAD_ATTRIBUTE, pos);
    const attributes = (this.count - firstAttribute) >> 1;
    if (attributes >= MAX_ATTRIBUTES) throw new Stop(ERR_TOO_MANY_ATTRIBUTES, pos);
    const tokens = this.tokens;
    for (let t = firstAttribute; t < this.count; t += 2) {
      const w = t * TOKEN_WORDS;
      if (this.sameBytes(tokens[w + 1], tokens[w + 2], pos, nameEnd)) {
        throw new Stop(ERR_DUPLICATE_ATTRIBUTE, pos);
      }
    }
    let p = this.skipSpace(nameEnd);
    if (p >= len) throw new Stop(ERR_UNEXPECTED_END, len);
    if (input[p] !== EQUALS) throw new Stop(ERR_BAD_ATTRIBUTE, p);
    p = this.skipSpace(p + 1);
    if (p >= len) throw new Stop(ERR_UNEXPECTED_END, len);
    const quote = input[p];
    if (quote !== QUOTE && quote !== APOS) throw new Stop(ERR_BAD_ATTRIBUTE, p);
    const valueStart = ++p;
    let flags = 0;
    for (;;) {
      if (p >= len) throw new Stop(ERR_UNEXPECTED_END, len);
      const c = input[p];
      if (c === quote) break;
      if (c === LT) throw new Stop(ERR_LT_IN_ATTRIBUTE, p);
      if (c === AMP) {
        p = this.reference(p);
        flags = TOKEN_HAS_REFERENCE;
      } else {
        p++;
      }
    }
    this.emit(TOKEN_ATTR_NAME, pos, nameEnd);
    this.emit(TOKEN_ATTR_VALUE | flags, valueStart, p);
    this.attributeFact(role, depth, pos, nameEnd, valueStart, p);
    return p + 1;
  }

  /** The end tag at `pos` closing the element at `depth`; returns the offset after its `>`. */
  private endTag(pos: number, depth: number): number {
    const input = this.input, len = this.len;
    const nameEnd = this.name(pos + 2);
    if (nameEnd === pos + 2) throw new Stop(ERR_BAD_END_TAG, pos + 2);
    const top = depth * 3;
    if (!this.sameBytes(this.stack[top], this.stack[top + 1], pos + 2, nameEnd)) {
      throw new Stop(ERR_MISMATCHED_TAG, pos);
    }
    const p = this.skipSpace(nameEnd);
    if (p >= len) throw new Stop(ERR_UNEXPECTED_END, len);
    if (input[p] !== GT) throw new Stop(ERR_BAD_END_TAG, p);
    this.emit(TOKEN_CLOSE, pos + 2, nameEnd);
    return p + 1;
  }

  /**
   * A DOCTYPE from just after `<!DOCTYPE`: a name, then quoted literals and keywords (PUBLIC and
   * SYSTEM, or none as Baraza writes it). An internal subset is refused.
   */
  private doctype(pos: number): number {
    const input = this.input, len = this.len;
    let p = this.skipSpace(pos);
    if (p === pos || p >= len) throw new Stop(ERR_BAD_DOCTYPE, pos);
    const nameEnd = this.name(p);
    if (nameEnd === p) throw new Stop(ERR_BAD_DOCTYPE, p);
    p = nameEnd;
    for (;;) {
      p = this.skipSpace(p);
      if (p >= len) throw new Stop(ERR_UNEXPECTED_END, len);
      const c = input[p];
      if (c === GT) return p + 1;
      if (c === LBRACKET) throw new Stop(ERR_DOCTYPE_INTERNAL_SUBSET, p);
      if (c === QUOTE || c === APOS) {
        p++;
        while (p < len && input[p] !== c) p++;
        if (p >= len) throw new Stop(ERR_UNEXPECTED_END, len);
        p++;
      } else {
        const end = this.name(p);
        if (end === p) throw new Stop(ERR_BAD_DOCTYPE, p);
        p = end;
      }
    }
  }

  /** The role of a new element at `depth`, recording element facts on the way. */
  private roleOf(nameStart: number, nameEnd: number, depth: number): number {
    if (depth === 0) return ROLE_ROOT;
    const parent = this.stack[(depth - 1) * 3 + 2];
    const facts = this.facts, ssp = facts[FACT_VERSION] === VERSION_SSP;
    const index = this.count;
    switch (parent) {
      case ROLE_ROOT:
        if (this.equals(nameStart, nameEnd, N_SESSION)) return ROLE_SESSION;
        if (ssp && this.equals(nameStart, nameEnd, N_SETUP_TRANSACTION)) return this.transaction();
        return ROLE_OTHER;
      case ROLE_SESSION:
        if (this.equals(nameStart, nameEnd, N_TRANSACTION)) return this.transaction();
        if (ssp) return ROLE_OTHER;
        if (this.equals(nameStart, nameEnd, N_SESSION_DESCRIPTOR)) return ROLE_SESSION_DESCRIPTOR;
        if (this.equals(nameStart, nameEnd, N_POLL)) setOnce(facts, FACT_POLL, index);
        return ROLE_OTHER;
      case ROLE_SESSION_DESCRIPTOR:
        if (this.equals(nameStart, nameEnd, N_SESSION_TYPE)) {
          setOnce(facts, FACT_SESSION_TYPE, index);
        } else if (this.equals(nameStart, nameEnd, N_SESSION_ID)) {
          setOnce(facts, FACT_SESSION_ID, index);
        }
        return ROLE_OTHER;
      case ROLE_TRANSACTION:
        if (ssp) {
          setOnce(facts, FACT_PRIMITIVE, index);
          return ROLE_OTHER;
        }
        if (this.equals(nameStart, nameEnd, N_TRANSACTION_DESCRIPTOR)) {
          return ROLE_TRANSACTION_DESCRIPTOR;
        }
        if (this.equals(nameStart, nameEnd, N_TRANSACTION_CONTENT)) return ROLE_TRANSACTION_CONTENT;
        return ROLE_OTHER;
      case ROLE_TRANSACTION_DESCRIPTOR:
        if (this.equals(nameStart, nameEnd, N_TRANSACTION_MODE)) {
          setOnce(facts, FACT_TRANSACTION_MODE, index);
        } else if (this.equals(nameStart, nameEnd, N_TRANSACTION_ID)) {
          setOnce(facts, FACT_TRANSACTION_ID, index);
        } else if (this.equals(nameStart, nameEnd, N_POLL)) {
          setOnce(facts, FACT_POLL, index);
        }
        return ROLE_OTHER;
      case ROLE_TRANSACTION_CONTENT:
        setOnce(facts, FACT_PRIMITIVE, index);
        return ROLE_OTHER;
    }
    return ROLE_OTHER;
  }

  /** Only the first transaction of a message gives facts. */
  private transaction(): number {
    if (this.firstTransactionSeen) return ROLE_OTHER;
    this.firstTransactionSeen = true;
    return ROLE_TRANSACTION;
  }

  /** Facts carried by attributes: the root namespace, and SSP's session and transaction ids. */
  private attributeFact(
    role: number,
    depth: number,
    nameStart: number,
    nameEnd: number,
    valueStart: number,
    valueEnd: number,
  ): void {
    const facts = this.facts, valueToken = this.count - 1;
    if (role === ROLE_ROOT && depth === 0) {
      if (this.equals(nameStart, nameEnd, N_XMLNS)) {
        for (let v = 1; v < NAMESPACES.length; v++) {
          if (this.equals(valueStart, valueEnd, NAMESPACES[v])) facts[FACT_VERSION] = v;
        }
      }
    } else if (facts[FACT_VERSION] === VERSION_SSP) {
      if (role === ROLE_SESSION && this.equals(nameStart, nameEnd, N_SESSION_ID_ATTR)) {
        setOnce(facts, FACT_SESSION_ID, valueToken);
      } else if (role === ROLE_TRANSACTION) {
        if (this.equals(nameStart, nameEnd, N_MODE_ATTR)) {
          setOnce(facts, FACT_TRANSACTION_MODE, valueToken);
        } else if (this.equals(nameStart, nameEnd, N_TRANSACTION_ID_ATTR)) {
          setOnce(facts, FACT_TRANSACTION_ID, valueToken);
        }
      }
    }
  }

  private emit(kind: number, start: number, end: number): void {
    const w = this.count++ * TOKEN_WORDS;
    this.tokens[w] = kind;
    this.tokens[w + 1] = start;
    this.tokens[w + 2] = end;
  }

  /** End of the XML name starting at `pos` (== pos when there is none). */
  private name(pos: number): number {
    const input = this.input, len = this.len;
    if (pos >= len || (CLASS[input[pos]] & NAME_START) === 0) return pos;
    pos++;
    while (pos < len && (CLASS[input[pos]] & NAME_CHAR) !== 0) pos++;
    return pos;
  }

  private skipSpace(pos: number): number {
    const input = this.input, len = this.len;
    while (pos < len && (CLASS[input[pos]] & SPACE) !== 0) pos++;
    return pos;
  }

  /** Offset of the next `needle` at or after `pos`; the input must contain it. */
  private find(pos: number, needle: Uint8Array): number {
    const input = this.input, last = this.len - needle.length, first = needle[0];
    for (; pos <= last; pos++) {
      if (input[pos] === first && this.startsWith(pos, needle)) return pos;
    }
    throw new Stop(ERR_UNEXPECTED_END, this.len);
  }

  private startsWith(pos: number, needle: Uint8Array): boolean {
    if (pos + needle.length > this.len) return false;
    for (let i = 0; i < needle.length; i++) if (this.input[pos + i] !== needle[i]) return false;
    return true;
  }

  private equals(start: number, end: number, expected: Uint8Array): boolean {
    return end - start === expected.length && this.startsWith(start, expected);
  }

  private sameBytes(aStart: number, aEnd: number, bStart: number, bEnd: number): boolean {
    if (aEnd - aStart !== bEnd - bStart) return false;
    const input = this.input;
    for (let i = 0; i < aEnd - aStart; i++) {
      if (input[aStart + i] !== input[bStart + i]) return false;
    }
    return true;
  }
}

function setOnce(facts: Int32Array, fact: number, value: number): void {
  if (facts[fact] < 0) facts[fact] = value;
}

function digitValue(c: number, hex: boolean): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (!hex) return -1;
  const lower = c | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
}

/** XML 1.0 `Char`: the code points a character reference may name. */
function isXmlChar(cp: number): boolean {
  if (cp < 0x20) return cp === 0x09 || cp === 0x0a || cp === 0x0d;
  return cp <= 0xd7ff || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
}
