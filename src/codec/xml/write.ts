/** Compact XML serialisation: no indentation, no DOCTYPE, escaping done once per value. */

const TEXT_SPECIAL = /[&<>\r]/;
const TEXT_SPECIAL_ALL = /[&<>\r]/g;
const ATTR_SPECIAL = /[&<>"\t\n\r]/;
const ATTR_SPECIAL_ALL = /[&<>"\t\n\r]/g;
const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  // Written as references so that a reader's end-of-line and attribute normalisation keep them.
  "\t": "&#9;",
  "\n": "&#10;",
  "\r": "&#13;",
};
const escapeChar = (c: string) => ESCAPES[c];

/** Escapes character data. */
export function escapeText(text: string): string {
  return TEXT_SPECIAL.test(text) ? text.replace(TEXT_SPECIAL_ALL, escapeChar) : text;
}

/** Escapes a double-quoted attribute value. */
export function escapeAttr(value: string): string {
  return ATTR_SPECIAL.test(value) ? value.replace(ATTR_SPECIAL_ALL, escapeChar) : value;
}

/**
 * What the CSP encoder writes a message through, element by element: XML text (XmlWriter) or
 * WBXML (`codec/wbxml`), so that one encoder serves every encoding.
 */
export interface ElementWriter {
  open(name: string, attrs?: Record<string, string>): this;
  close(name: string): this;
  /** An element without content. */
  empty(name: string, attrs?: Record<string, string>): this;
  /** Character data of the element last opened. */
  text(text: string): this;
  /** An element holding only `text`; without content when the text is empty. */
  leaf(name: string, text: string, attrs?: Record<string, string>): this;
}

/** Appends markup to one string; element names are trusted (they come from code or a parsed tree). */
export class XmlWriter implements ElementWriter {
  private out = "";

  declaration(): this {
    this.out += '<?xml version="1.0" encoding="UTF-8"?>';
    return this;
  }

  open(name: string, attrs?: Record<string, string>): this {
    this.out += `<${name}${attributes(attrs)}>`;
    return this;
  }

  close(name: string): this {
    this.out += `</${name}>`;
    return this;
  }

  empty(name: string, attrs?: Record<string, string>): this {
    this.out += `<${name}${attributes(attrs)}/>`;
    return this;
  }

  text(text: string): this {
    this.out += escapeText(text);
    return this;
  }

  /** `<name>text</name>`, or `<name/>` when the text is empty. */
  leaf(name: string, text: string, attrs?: Record<string, string>): this {
    if (text === "") return this.empty(name, attrs);
    this.out += `<${name}${attributes(attrs)}>${escapeText(text)}</${name}>`;
    return this;
  }

  toString(): string {
    return this.out;
  }
}

function attributes(attrs: Record<string, string> | undefined): string {
  if (!attrs) return "";
  let out = "";
  for (const name of Object.keys(attrs)) out += ` ${name}="${escapeAttr(attrs[name])}"`;
  return out;
}
