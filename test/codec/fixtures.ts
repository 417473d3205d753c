/** Locates the shared fixtures beside the checkout and compares XML trees for round-trip tests. */
import { parseXmlFxp } from "../support/xml_fxp.ts";
import { DEFAULT_XML_LIMITS, type XmlElement } from "../../src/codec/xml/tree.ts";

export const SHARED_FIXTURES = new URL("../../../shared/fixtures/", import.meta.url);

/** True when the shared directory exists; otherwise the fixture tests are skipped with a note. */
export const haveShared = (() => {
  try {
    return Deno.statSync(SHARED_FIXTURES).isDirectory;
  } catch {
    console.warn(`note: ${SHARED_FIXTURES.href} not found, fixture tests are skipped`);
    return false;
  }
})();

export interface Fixture {
  name: string;
  bytes: Uint8Array;
}

/** The `.xml` files of a fixture directory (relative to `shared/fixtures/`), sorted by name. */
export function readFixtures(dir: string): Fixture[] {
  if (!haveShared) return [];
  const url = new URL(dir, SHARED_FIXTURES);
  return [...Deno.readDirSync(url)]
    .filter((entry) => entry.isFile && entry.name.endsWith(".xml"))
    .map((entry) => entry.name)
    .sort()
    .map((name) => ({ name, bytes: Deno.readFileSync(new URL(name, url)) }));
}

export interface ComparableTree {
  name: string;
  attrs: Record<string, string>;
  text: string;
  children: ComparableTree[];
}

/** Envelope elements have a fixed structure; stray text in them is not kept (see wv-002). */
const ENVELOPE = new Set([
  "WV-CSP-Message",
  "Session",
  "SessionDescriptor",
  "Transaction",
  "TransactionDescriptor",
  "TransactionContent",
]);

/** The parts of a tree a round trip must keep: names, order, attributes and trimmed text. */
export function comparable(el: XmlElement): ComparableTree {
  return {
    name: el.name,
    attrs: el.attrs,
    text: ENVELOPE.has(el.name) ? "" : el.text.trim(),
    children: el.children.map(comparable),
  };
}

export function parse(xml: string | Uint8Array): XmlElement {
  const bytes = typeof xml === "string" ? new TextEncoder().encode(xml) : xml;
  return parseXmlFxp(bytes, DEFAULT_XML_LIMITS);
}
