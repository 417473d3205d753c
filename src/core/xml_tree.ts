/** Element trees from token arrays: one pass over the tokens, never a second parse. */
import {
  type XmlElement,
  XmlError,
  type XmlLimits,
  type XmlTreeSource,
} from "../codec/xml/tree.ts";
import { decodeSpan, decodeText, expandReferences } from "./xml_text.ts";
import {
  ERR_TOO_LARGE,
  TOKEN_ATTR_NAME,
  TOKEN_CDATA,
  TOKEN_CLOSE,
  TOKEN_HAS_REFERENCE,
  TOKEN_ID_SHIFT,
  TOKEN_KIND_MASK,
  TOKEN_OPEN,
  TOKEN_TEXT,
  TOKEN_WORDS,
  type TokenizeResult,
  XML_ERROR_MESSAGES,
  type XmlTokenizer,
} from "./xml_tokens.ts";

/** Tokenizes within the limits, or throws XmlError at the offset where reading stopped. */
export function tokenizeChecked(
  tokenizer: XmlTokenizer,
  input: Uint8Array,
  limits: XmlLimits,
): TokenizeResult {
  if (input.length > limits.maxBytes) {
    throw new XmlError(XML_ERROR_MESSAGES[ERR_TOO_LARGE], limits.maxBytes);
  }
  const result = tokenizer.tokenize(input, limits.maxDepth, limits.maxElements);
  if (result.errorCode !== 0) {
    throw new XmlError(XML_ERROR_MESSAGES[result.errorCode], result.errorOffset);
  }
  return result;
}

/** An XmlTreeSource reading through `tokenizer`. */
export function treeSource(tokenizer: XmlTokenizer): XmlTreeSource {
  return (input, limits) => buildTree(input, tokenizeChecked(tokenizer, input, limits));
}

/** Shared by the many elements without attributes or children (most of a CSP message), so the
 * tree costs one object per element; replaced by its own object or array on first use. */
const NO_ATTRS: Record<string, string> = Object.freeze({}) as Record<string, string>;
const NO_CHILDREN: XmlElement[] = Object.freeze([]) as unknown as XmlElement[];

/** The tree of a well-formed token array. */
export function buildTree(input: Uint8Array, result: TokenizeResult): XmlElement {
  const tokens = result.tokens, end = result.count * TOKEN_WORDS, names = result.names;
  const stack: XmlElement[] = [];
  let current: XmlElement | undefined, root: XmlElement | undefined;
  for (let w = 0; w < end; w += TOKEN_WORDS) {
    const word = tokens[w], start = tokens[w + 1], stop = tokens[w + 2];
    switch (word & TOKEN_KIND_MASK) {
      case TOKEN_OPEN: {
        const element: XmlElement = {
          name: nameOf(input, word, start, stop, names),
          attrs: NO_ATTRS,
          children: NO_CHILDREN,
          text: "",
        };
        if (current) {
          if (current.children === NO_CHILDREN) current.children = [element];
          else current.children.push(element);
          stack.push(current);
        } else {
          root = element;
        }
        current = element;
        break;
      }
      case TOKEN_ATTR_NAME: {
        w += TOKEN_WORDS; // the value token always follows
        if (current!.attrs === NO_ATTRS) current!.attrs = {};
        setAttribute(
          current!.attrs,
          nameOf(input, word, start, stop, names),
          attributeValueOf(input, tokens, w, names),
        );
        break;
      }
      case TOKEN_TEXT:
        current!.text += textOf(input, tokens, w);
        break;
      case TOKEN_CDATA:
        current!.text += decodeText(input, start, stop);
        break;
      case TOKEN_CLOSE:
        current = stack.pop();
        break;
    }
  }
  return root!;
}

/** The name of an OPEN or ATTR_NAME token: by its interned id when it has one. */
function nameOf(
  input: Uint8Array,
  word: number,
  start: number,
  stop: number,
  names: (string | undefined)[] | undefined,
): string {
  const id = word >>> TOKEN_ID_SHIFT;
  if (id === 0 || names === undefined) return decodeSpan(input, start, stop);
  return names[id] ??= decodeSpan(input, start, stop);
}

/** The value of the ATTR_VALUE token at word `w`: by its interned id when it has one. */
function attributeValueOf(
  input: Uint8Array,
  tokens: Int32Array,
  w: number,
  names: (string | undefined)[] | undefined,
): string {
  const id = tokens[w] >>> TOKEN_ID_SHIFT;
  if (id === 0 || names === undefined) return textOf(input, tokens, w);
  return names[id] ??= textOf(input, tokens, w);
}

/** The decoded value of a TEXT or ATTR_VALUE token at word `w`. */
export function textOf(input: Uint8Array, tokens: Int32Array, w: number): string {
  const raw = decodeText(input, tokens[w + 1], tokens[w + 2]);
  return (tokens[w] & TOKEN_HAS_REFERENCE) !== 0 ? expandReferences(raw) : raw;
}

/** `__proto__` must become an own property, not the object's prototype. */
function setAttribute(attrs: Record<string, string>, name: string, value: string): void {
  if (name === "__proto__") {
    Object.defineProperty(attrs, name, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else {
    attrs[name] = value;
  }
}
