/** Schema-driven conversion between XmlElement trees and typed element values. */
import type { XmlElement } from "../xml/tree.ts";
import { type ElementWriter, XmlWriter } from "../xml/write.ts";
import type { Attributes, CspVersion, ElementObject, ElementValue } from "./message.ts";
import { bounded } from "./bounds.ts";
import { type ElementModel, elementModel, type ValueKind } from "./schema.ts";

/** CSP integers are unsigned 32-bit decimals; anything else stays text so nothing is lost. */
const CANONICAL_INTEGER = /^(?:0|[1-9][0-9]{0,9})$/;
const MAX_INTEGER = 0xFFFF_FFFF;

/**
 * Decodes one element with its schema model (looked up by name unless given). Text is trimmed,
 * since real clients wrap values in newlines, except where the schema marks it verbatim (message
 * content). Elements with attributes or children, and every container, become objects; see
 * `ElementValue` for how unknown content is kept.
 */
export function decodeElement(
  el: XmlElement,
  model: ElementModel | undefined = elementModel(el.name),
): ElementValue {
  if (el.children.length === 0 && !hasAttributes(el) && !isStructured(model?.kind)) {
    if (model?.verbatim) return decodeScalar(el.text, model.kind);
    return decodeScalar(bounded(el.name, el.text.trim()), model?.kind ?? "text");
  }
  return decodeObject(el, model);
}

/** Decodes an element that must be an object (a primitive body, say) whatever its content. */
export function decodeObject(
  el: XmlElement,
  model: ElementModel | undefined = elementModel(el.name),
): ElementObject {
  const obj: ElementObject = {};
  if (hasAttributes(el)) obj["@attrs"] = { ...el.attrs };
  const text = el.text.trim();
  if (text !== "") obj["#text"] = bounded(el.name, text);
  for (const child of el.children) {
    const spec = model?.childByName.get(child.name);
    const value = decodeElement(child, spec ? spec.model : elementModel(child.name));
    addChild(obj, child.name, value, spec?.repeat ?? false);
  }
  return obj;
}

export interface EncodeOptions {
  /** Selects version-specific child orders; the 1.2/1.3 order when absent. */
  version?: CspVersion;
  /** Namespace written on every PresenceSubList that carries an `xmlns` (the version's PA-NS). */
  presenceNamespace?: string;
}

/** Serialises a value as element `name`, children in schema order, unknown children after them. */
export function encodeElement(
  name: string,
  value: ElementValue | ElementValue[],
  options: EncodeOptions = {},
): string {
  const writer = new XmlWriter();
  writeElement(writer, name, value, elementModel(name), options);
  return writer.toString();
}

/** Like encodeElement, appending to a writer; an array writes one element per item. */
export function writeElement(
  writer: ElementWriter,
  name: string,
  value: ElementValue | ElementValue[],
  model: ElementModel | undefined,
  options: EncodeOptions,
): void {
  if (Array.isArray(value)) {
    for (const item of value) writeElement(writer, name, item, model, options);
    return;
  }
  switch (typeof value) {
    case "string":
      writer.leaf(name, value);
      return;
    case "number":
      writer.leaf(name, String(value));
      return;
    case "boolean":
      writer.leaf(name, value ? "T" : "F");
      return;
  }
  writeObject(writer, name, value, model, options);
}

function writeObject(
  writer: ElementWriter,
  name: string,
  obj: ElementObject,
  model: ElementModel | undefined,
  options: EncodeOptions,
): void {
  const attrs = attributesToWrite(name, obj["@attrs"], options);
  if (!hasContent(obj)) {
    writer.empty(name, attrs);
    return;
  }
  writer.open(name, attrs);
  const text = obj["#text"];
  if (text) writer.text(text);
  if (model) {
    const order = (options.version === "1.1" && model.children11) || model.children;
    for (const spec of order) {
      const child = Object.hasOwn(obj, spec.name) ? obj[spec.name] : undefined;
      if (child !== undefined) writeElement(writer, spec.name, child, spec.model, options);
    }
  }
  for (const key of Object.keys(obj)) {
    if (isReservedKey(key) || model?.childByName.has(key)) continue;
    const child = obj[key];
    if (child !== undefined) writeElement(writer, key, child, elementModel(key), options);
  }
  writer.close(name);
}

function attributesToWrite(
  name: string,
  attrs: Attributes | undefined,
  options: EncodeOptions,
): Attributes | undefined {
  if (name === "PresenceSubList" && attrs?.xmlns !== undefined && options.presenceNamespace) {
    return { ...attrs, xmlns: options.presenceNamespace };
  }
  return attrs;
}

function decodeScalar(text: string, kind: ValueKind): ElementValue {
  if (kind === "integer" && CANONICAL_INTEGER.test(text)) {
    const n = Number(text);
    if (n <= MAX_INTEGER) return n;
  } else if (kind === "boolean") {
    if (text === "T") return true;
    if (text === "F") return false;
  }
  return text;
}

/** Adds a decoded child: repeating children always as arrays, unexpected repeats become arrays. */
function addChild(obj: ElementObject, name: string, value: ElementValue, repeat: boolean): void {
  const existing = Object.hasOwn(obj, name) ? obj[name] : undefined;
  if (existing === undefined) {
    setOwn(obj, name, repeat ? [value] : value);
  } else if (Array.isArray(existing)) {
    existing.push(value);
  } else {
    setOwn(obj, name, [existing, value]);
  }
}

/** Assignment that cannot reach the prototype, even for an element named `__proto__`. */
function setOwn(obj: ElementObject, name: string, value: ElementValue | ElementValue[]): void {
  if (name === "__proto__") {
    Object.defineProperty(obj, name, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else {
    obj[name] = value;
  }
}

function hasContent(obj: ElementObject): boolean {
  for (const key of Object.keys(obj)) {
    if (key === "#text" ? obj[key] !== "" : !isReservedKey(key) && obj[key] !== undefined) {
      return true;
    }
  }
  return false;
}

const isReservedKey = (key: string) => key === "@attrs" || key === "#text";
const isStructured = (kind: ValueKind | undefined) => kind === "container" || kind === "empty";

function hasAttributes(el: XmlElement): boolean {
  for (const _ in el.attrs) return true;
  return false;
}
