/** Envelope facts of a CSP or SSP message, as strings, from one tokenizer pass. */
import type { XmlLimits } from "../codec/xml/tree.ts";
import { decodeSpan, decodeText } from "./xml_text.ts";
import { textOf, tokenizeChecked } from "./xml_tree.ts";
import {
  FACT_POLL,
  FACT_PRIMITIVE,
  FACT_SESSION_ID,
  FACT_SESSION_TYPE,
  FACT_TRANSACTION_ID,
  FACT_TRANSACTION_MODE,
  FACT_VERSION,
  TOKEN_ATTR_VALUE,
  TOKEN_CDATA,
  TOKEN_CLOSE,
  TOKEN_KIND_MASK,
  TOKEN_OPEN,
  TOKEN_TEXT,
  TOKEN_WORDS,
  type TokenizeResult,
  type XmlTokenizer,
} from "./xml_tokens.ts";

export type EnvelopeVersion = "1.1" | "1.2" | "1.3" | "SSP";
const VERSIONS: (EnvelopeVersion | undefined)[] = [undefined, "1.1", "1.2", "1.3", "SSP"];

/**
 * What routing needs before a full decode. Values are trimmed of whitespace (Baraza pads
 * them with newlines). CSP takes them from the first transaction's elements; SSP from the
 * attributes `Session@sessionID` and `(Setup)Transaction@mode` / `@transactionID`.
 */
export interface Envelope {
  /** From the root `xmlns`; undefined for an unknown namespace. */
  version?: EnvelopeVersion;
  sessionType?: string;
  sessionId?: string;
  transactionMode?: string;
  /** "" for `<TransactionID/>`. */
  transactionId?: string;
  /** Name of the first primitive (first child of TransactionContent, or of the SSP transaction). */
  primitive?: string;
  /** `Session/Poll` (1.2, 1.3) or `TransactionDescriptor/Poll` (1.1). */
  poll?: string;
  /** The tokens, valid until the next call into the same core. */
  tokens: TokenizeResult;
}

/** Tokenizes `input` (throwing XmlError when malformed) and reads its envelope facts. */
export function tokenizeEnvelope(
  tokenizer: XmlTokenizer,
  input: Uint8Array,
  limits: XmlLimits,
): Envelope {
  const tokens = tokenizeChecked(tokenizer, input, limits);
  const facts = tokens.facts;
  const value = (fact: number) => factText(input, tokens, facts[fact]);
  const primitive = facts[FACT_PRIMITIVE];
  const words = tokens.tokens;
  return {
    version: VERSIONS[facts[FACT_VERSION]],
    sessionType: value(FACT_SESSION_TYPE),
    sessionId: value(FACT_SESSION_ID),
    transactionMode: value(FACT_TRANSACTION_MODE),
    transactionId: value(FACT_TRANSACTION_ID),
    primitive: primitive < 0 ? undefined : decodeSpan(
      input,
      words[primitive * TOKEN_WORDS + 1],
      words[primitive * TOKEN_WORDS + 2],
    ),
    poll: value(FACT_POLL),
    tokens,
  };
}

/** Text of an ATTR_VALUE token, or of the character data directly inside an OPEN token. */
function factText(input: Uint8Array, result: TokenizeResult, token: number): string | undefined {
  if (token < 0) return undefined;
  const tokens = result.tokens;
  let w = token * TOKEN_WORDS;
  if ((tokens[w] & TOKEN_KIND_MASK) === TOKEN_ATTR_VALUE) return textOf(input, tokens, w).trim();
  const end = result.count * TOKEN_WORDS;
  let text = "", depth = 0;
  for (w += TOKEN_WORDS; w < end; w += TOKEN_WORDS) {
    const kind = tokens[w] & TOKEN_KIND_MASK;
    if (kind === TOKEN_OPEN) depth++;
    else if (kind === TOKEN_CLOSE && depth-- === 0) break;
    else if (depth === 0 && kind === TOKEN_TEXT) text += textOf(input, tokens, w);
    else if (depth === 0 && kind === TOKEN_CDATA) {
      text += decodeText(input, tokens[w + 1], tokens[w + 2]);
    }
  }
  return text.trim();
}
