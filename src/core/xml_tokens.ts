/**
 * The token format shared by the TypeScript and WebAssembly XML tokenizers. Each token is three
 * int32 words: `kind | flags`, `start`, `end` (byte offsets into the input, end exclusive).
 * `wasm/assembly/xml.ts` mirrors these numbers; the differential tests keep the two in step.
 */

/** Start tag; span = element name. Its attributes follow as ATTR_NAME, ATTR_VALUE pairs. */
export const TOKEN_OPEN = 1;
export const TOKEN_ATTR_NAME = 2;
/** Span = raw value between the quotes. */
export const TOKEN_ATTR_VALUE = 3;
/** End tag; span = element name, or empty (start = end) for a self-closing tag. */
export const TOKEN_CLOSE = 4;
/** Character data inside the root element; span = raw text. */
export const TOKEN_TEXT = 5;
/** CDATA section; span = its content, taken literally. */
export const TOKEN_CDATA = 6;

export const TOKEN_KIND_MASK = 0xff;
/** Set on TEXT and ATTR_VALUE tokens whose span holds `&` references to decode. */
export const TOKEN_HAS_REFERENCE = 0x100;
/**
 * The bits from here up hold the span's interned id, or 0: one tokenizer gives the same bytes
 * the same id, and TokenizeResult.names holds the strings of the ids decoded so far. Only the
 * WebAssembly tokenizer gives ids, to OPEN and ATTR_NAME tokens and to ATTR_VALUE tokens without
 * references. An id's bytes read alike as a name or as a value: only a value may hold a CR (which
 * reading a value turns into LF), and bytes holding one are never a name.
 */
export const TOKEN_ID_SHIFT = 16;

/** Words per token. */
export const TOKEN_WORDS = 3;

/** More attributes than this on one element are refused (bounds the duplicate check). */
export const MAX_ATTRIBUTES = 64;

/** Error codes (0 = well-formed); XML_ERROR_MESSAGES[code] says what each means. */
export const ERR_UNEXPECTED_END = 1;
export const ERR_TEXT_OUTSIDE_ROOT = 2;
export const ERR_STRAY_LT = 3;
export const ERR_BAD_REFERENCE = 4;
export const ERR_UNDEFINED_ENTITY = 5;
export const ERR_STRAY_END_TAG = 6;
export const ERR_MISMATCHED_TAG = 7;
export const ERR_BAD_END_TAG = 8;
export const ERR_BAD_START_TAG = 9;
export const ERR_BAD_ATTRIBUTE = 10;
export const ERR_LT_IN_ATTRIBUTE = 11;
export const ERR_DUPLICATE_ATTRIBUTE = 12;
export const ERR_TOO_MANY_ATTRIBUTES = 13;
export const ERR_UNKNOWN_DECLARATION = 14;
export const ERR_CDATA_OUTSIDE_ROOT = 15;
export const ERR_MISPLACED_DOCTYPE = 16;
export const ERR_BAD_DOCTYPE = 17;
export const ERR_DOCTYPE_INTERNAL_SUBSET = 18;
export const ERR_SECOND_ROOT = 19;
export const ERR_NO_ROOT = 20;
export const ERR_UNCLOSED_ELEMENT = 21;
export const ERR_TOO_DEEP = 22;
export const ERR_TOO_MANY_ELEMENTS = 23;
export const ERR_TOO_LARGE = 24;

export const XML_ERROR_MESSAGES: readonly string[] = [
  "",
  "unexpected end of input",
  "content outside the root element",
  "'<' does not start markup",
  "malformed reference",
  "undefined entity",
  "end tag without start tag",
  "mismatched end tag",
  "malformed end tag",
  "malformed start tag",
  "malformed attribute",
  "'<' in attribute value",
  "duplicate attribute",
  "too many attributes",
  "unknown markup declaration",
  "CDATA outside the root element",
  "misplaced DOCTYPE",
  "malformed DOCTYPE",
  "DOCTYPE with an internal subset",
  "more than one root element",
  "no root element",
  "unclosed element",
  "nesting deeper than maxDepth",
  "more elements than maxElements",
  "input larger than maxBytes",
];

/**
 * Envelope facts: indexes into the facts array. Each value is a token index (-1 when absent):
 * the OPEN token of an element whose text is the value, or the ATTR_VALUE token (SSP uses
 * attributes). FACT_VERSION holds a version code instead.
 */
export const FACT_VERSION = 0;
export const FACT_SESSION_TYPE = 1;
export const FACT_SESSION_ID = 2;
export const FACT_TRANSACTION_MODE = 3;
export const FACT_TRANSACTION_ID = 4;
export const FACT_PRIMITIVE = 5;
export const FACT_POLL = 6;
export const FACT_COUNT = 7;

/** Version codes, from the root element's `xmlns`. */
export const VERSION_UNKNOWN = 0;
export const VERSION_CSP11 = 1;
export const VERSION_CSP12 = 2;
export const VERSION_CSP13 = 3;
export const VERSION_SSP = 4;

/** Root namespaces, indexed by version code. */
export const VERSION_NAMESPACES: readonly string[] = [
  "",
  "http://www.wireless-village.org/CSP1.1",
  "http://www.openmobilealliance.org/DTD/WV-CSP1.2",
  "http://www.openmobilealliance.org/DTD/IMPS-CSP1.3",
  "http://www.openmobilealliance.org/DTD/WV-SSP1.3",
];

/** What one tokenizer run produced. `tokens` and `facts` may be reused by the next run. */
export interface TokenizeResult {
  /** Token words; only the first `count * TOKEN_WORDS` are meaningful. */
  tokens: Int32Array;
  count: number;
  facts: Int32Array;
  /** 0 when the input is well-formed, else an index into XML_ERROR_MESSAGES. */
  errorCode: number;
  errorOffset: number;
  /** Strings of interned ids (see TOKEN_ID_SHIFT) by id, for whoever reads the tokens: a reader
   * that decodes an id's span first leaves the string here. Absent when there are no ids. */
  names?: (string | undefined)[];
}

export interface XmlTokenizer {
  /** Tokenizes `input`; limits as in XmlLimits (maxBytes is checked by the caller). */
  tokenize(input: Uint8Array, maxDepth: number, maxElements: number): TokenizeResult;
}
