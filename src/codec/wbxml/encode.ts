/** CSP messages and element trees as WBXML. */
import { writeCsp } from "../csp/envelope.ts";
import type { CspMessage, CspVersion } from "../csp/message.ts";
import { elementModel } from "../csp/schema.ts";
import type { XmlElement } from "../xml/tree.ts";
import { WbxmlWriter } from "./write.ts";

/** A CSP message in WBXML of its version. */
export function encodeCspWbxml(message: CspMessage): Uint8Array<ArrayBuffer> {
  const w = new WbxmlWriter(message.version);
  writeCsp(w, message);
  return w.finish();
}

/**
 * Any element tree (an XML document read as is) in WBXML of `version`, attributes included.
 * Text is trimmed, as libwbxml's encoder does, except message content (whose whitespace is
 * meaning); whitespace between elements is left out.
 */
export function encodeWbxmlTree(root: XmlElement, version: CspVersion): Uint8Array<ArrayBuffer> {
  const w = new WbxmlWriter(version);
  writeTree(w, root);
  return w.finish();
}

function writeTree(w: WbxmlWriter, el: XmlElement): void {
  const text = elementModel(el.name)?.verbatim ? el.text : el.text.trim();
  const attrs = Object.keys(el.attrs).length > 0 ? el.attrs : undefined;
  if (el.children.length === 0) {
    w.leaf(el.name, text, attrs);
    return;
  }
  w.open(el.name, attrs).text(text);
  for (const child of el.children) writeTree(w, child);
  w.close(el.name);
}
