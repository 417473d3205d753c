/**
 * The token format shared by the TypeScript and WebAssembly WBXML tokenizers (WBXML 1.1–1.3, the
 * binary encoding of CSP). A tokenizer checks the structure of a document and resolves what is
 * generic WBXML: header, mb_u_int32 numbers, inline and string-table strings, OPAQUE lengths, code
 * page switches, tag content flags. What tokens mean in CSP (names, value tokens, integers and
 * dates in OPAQUE) is left to the reader of the tokens (`wbxml_tree.ts`).
 *
 * Each token is three int32 words: `kind | aux << 8`, then two words whose meaning depends on the
 * kind. Spans are byte offsets into the input, end exclusive. `wasm/assembly/wbxml.ts` mirrors
 * these numbers; the differential tests keep the two in step.
 */

/** A tag: aux = code page << 6 | token (content and attribute flags removed); w1 = its offset. */
export const WB_OPEN = 1;
/** A LITERAL tag: w1, w2 = the name's span in the string table. */
export const WB_OPEN_LITERAL = 2;
/** An attribute start token: aux = attribute code page << 8 | token; w1 = its offset. */
export const WB_ATTR = 3;
/** A LITERAL attribute name: w1, w2 = its span in the string table. */
export const WB_ATTR_LITERAL = 4;
/** The END of an element's attribute list: value parts before it belong to attributes. */
export const WB_ATTR_END = 5;
/** An inline or string-table string: w1, w2 = its bytes, terminator excluded. */
export const WB_STRING = 6;
/** EXT_T_0: w1 = the value (unsigned), w2 = its offset. */
export const WB_EXT = 7;
/** ENTITY: w1 = the character code (unsigned), w2 = its offset. */
export const WB_ENTITY = 8;
/** OPAQUE: w1, w2 = its bytes. */
export const WB_OPAQUE = 9;
/** The end of an element (its END, or at once for a tag without content): w1 = offset. */
export const WB_CLOSE = 10;

export const WB_KIND_MASK = 0xff;
export const WB_AUX_SHIFT = 8;
export const WB_TOKEN_WORDS = 3;

/** More attributes than this on one element are refused (as for XML). */
export const WB_MAX_ATTRIBUTES = 64;

/** Error codes (0 = well-formed); WBXML_ERROR_MESSAGES[code] says what each means. */
export const WBERR_UNEXPECTED_END = 1;
export const WBERR_VERSION = 2;
export const WBERR_MB_TOO_LONG = 3;
export const WBERR_MB_OVERFLOW = 4;
export const WBERR_CHARSET = 5;
export const WBERR_STRING_TABLE_TOO_LONG = 6;
export const WBERR_TABLE_REFERENCE = 7;
export const WBERR_UNTERMINATED_STRING = 8;
export const WBERR_OPAQUE_TOO_LONG = 9;
export const WBERR_STRAY_END = 10;
export const WBERR_UNSUPPORTED_TOKEN = 11;
export const WBERR_CONTENT_OUTSIDE_ROOT = 12;
export const WBERR_SECOND_ROOT = 13;
export const WBERR_NO_ROOT = 14;
export const WBERR_UNCLOSED_ELEMENT = 15;
export const WBERR_TOO_DEEP = 16;
export const WBERR_TOO_MANY_ELEMENTS = 17;
export const WBERR_TOO_MANY_ATTRIBUTES = 18;
export const WBERR_VALUE_BEFORE_ATTRIBUTE = 19;
export const WBERR_TOO_LARGE = 20;

export const WBXML_ERROR_MESSAGES: readonly string[] = [
  "",
  "unexpected end of input",
  "unsupported WBXML version (1.1 to 1.3 are read)",
  "mb_u_int32 longer than 5 bytes",
  "mb_u_int32 larger than 32 bits",
  "unsupported charset",
  "string table longer than the document",
  "string table reference out of range",
  "unterminated string",
  "OPAQUE data runs past the end",
  "END without a start",
  "token CSP does not use (PI, EXT_I, EXT_T_1/2, EXT_0/1/2 or an attribute value token)",
  "content outside the root element",
  "more than one root element",
  "no root element",
  "unclosed element",
  "nesting deeper than maxDepth",
  "more elements than maxElements",
  "too many attributes",
  "attribute value before an attribute name",
  "input larger than maxBytes",
];

/** Document charsets (IANA MIBenum) a tokenizer reads; see WBXML_CHARSET_WIDTH. */
export const CHARSET_UNKNOWN = 0;
export const CHARSET_US_ASCII = 3;
export const CHARSET_ISO_8859_1 = 4;
export const CHARSET_UTF_8 = 106;
export const CHARSET_UCS_2 = 1000;
export const CHARSET_UTF_16BE = 1013;
export const CHARSET_UTF_16 = 1015;

/** Bytes per string terminator: 2 for the 16-bit charsets, 1 for the others; 0 = refused. */
export function charsetWidth(charset: number): number {
  switch (charset) {
    case CHARSET_UNKNOWN:
    case CHARSET_US_ASCII:
    case CHARSET_ISO_8859_1:
    case CHARSET_UTF_8:
      return 1;
    case CHARSET_UCS_2:
    case CHARSET_UTF_16BE:
    case CHARSET_UTF_16:
      return 2;
  }
  return 0;
}

/** What one tokenizer run produced. `tokens` may be reused by the next run. */
export interface WbxmlTokens {
  /** Token words; only the first `count * WB_TOKEN_WORDS` are meaningful. */
  tokens: Int32Array;
  count: number;
  /** 0 when the document is well-formed, else an index into WBXML_ERROR_MESSAGES. */
  errorCode: number;
  errorOffset: number;
  /** The header: WBXML version byte, public id (0 when given as a string), charset. */
  version: number;
  publicId: number;
  /** The public id string's span in the string table when publicId is 0, else -1, -1. */
  publicIdStart: number;
  publicIdEnd: number;
  charset: number;
}

export interface WbxmlTokenizer {
  /** Tokenizes `input`; limits as in XmlLimits (maxBytes is checked by the caller). */
  tokenize(input: Uint8Array, maxDepth: number, maxElements: number): WbxmlTokens;
}
