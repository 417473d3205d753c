import { equal, fail, ok } from "node:assert/strict";
import { decodeObject } from "../../src/codec/csp/element.ts";
import { CspCodecError } from "../../src/codec/csp/envelope.ts";
import { NAMESPACES } from "../../src/codec/csp/versions.ts";
import { DEFAULT_XML_LIMITS, XmlError } from "../../src/codec/xml/tree.ts";
import { decodeCspBytes } from "../support/xml_fxp.ts";

const CSP12 = NAMESPACES["1.2"];

/** Decodes and returns what was thrown; anything but XmlError or CspCodecError fails. */
function rejection(input: string | Uint8Array): XmlError | CspCodecError {
  const bytes = typeof input === "string" ? new TextEncoder().encode(input) : input;
  try {
    decodeCspBytes(bytes, DEFAULT_XML_LIMITS);
  } catch (e) {
    if (e instanceof XmlError || e instanceof CspCodecError) return e;
    fail(`unexpected ${e}`);
  }
  fail("input was accepted");
}

const xmlError = (input: string | Uint8Array) => ok(rejection(input) instanceof XmlError);
const cspError = (input: string, status: number) => {
  const error = rejection(input);
  ok(error instanceof CspCodecError, String(error));
  equal(error.status, status);
};

function envelope(descriptor: string, session = "<SessionType>Outband</SessionType>"): string {
  return `<WV-CSP-Message xmlns="${CSP12.csp}"><Session><SessionDescriptor>${session}` +
    `</SessionDescriptor><Transaction><TransactionDescriptor>${descriptor}` +
    `</TransactionDescriptor><TransactionContent xmlns="${CSP12.trc}"><GetSPInfo-Request/>` +
    `</TransactionContent></Transaction></Session></WV-CSP-Message>`;
}
const MODE = "<TransactionMode>Request</TransactionMode>";
const ID = "<TransactionID>1</TransactionID>";

Deno.test("malformed documents are XmlErrors", () => {
  xmlError("");
  xmlError("hello, world");
  xmlError(`{"json": true}`);
  xmlError(envelope(MODE + ID).slice(0, 120));
  xmlError("<a><b></a></b>");
  xmlError("<a/><b/>");
  xmlError("<a/>trailing");
  xmlError(`<a b="<"/>`);
});

Deno.test("non-UTF-8 bytes and control characters are XmlErrors", () => {
  xmlError(new Uint8Array([0x3C, 0x61, 0x3E, 0xFF, 0xFE, 0x3C, 0x2F, 0x61, 0x3E]));
  xmlError("<a>\u0001</a>");
  xmlError("<a>&#0;</a>");
  xmlError("<a>&#xD800;</a>");
});

Deno.test("oversized bodies are refused before parsing", () => {
  const big = `<a>${"x".repeat(DEFAULT_XML_LIMITS.maxBytes)}</a>`;
  const error = rejection(big);
  ok(error instanceof XmlError);
  ok(error.message.includes("exceeds"));
});

Deno.test("nesting deeper than the limit and too many elements are XmlErrors", () => {
  const depth = DEFAULT_XML_LIMITS.maxDepth + 1;
  xmlError("<a>".repeat(depth) + "</a>".repeat(depth));
  const veryDeep = 60_000;
  xmlError("<a>".repeat(veryDeep) + "</a>".repeat(veryDeep));
  xmlError(`<a>${"<b/>".repeat(DEFAULT_XML_LIMITS.maxElements)}</a>`);
});

Deno.test("DTD tricks: internal subsets and undefined entities are refused", () => {
  const laughs = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">` +
    `<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><lolz>&lol2;</lolz>`;
  xmlError(laughs);
  xmlError(`<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>`);
  xmlError(`<!DOCTYPE a SYSTEM "http://example.invalid/x.dtd" [<!ENTITY % p "x">]><a/>`);
  xmlError(envelope(MODE + ID).replace("<GetSPInfo-Request/>", "<Foo>&nbsp;</Foo>"));
  xmlError(`<a b="&undefined;"/>`);
});

Deno.test("a DOCTYPE without internal subset is ignored, in both spellings", () => {
  const body = envelope(MODE + ID);
  const spec =
    `<?xml version="1.0"?>\n<!DOCTYPE WV-CSP-Message PUBLIC "-//OMA//DTD WV-CSP 1.2//EN" ` +
    `"http://www.openmobilealliance.org/DTD/WV-CSP.DTD">\n`;
  const baraza = `<?xml version='1.0'?>\n\t<!DOCTYPE IMPS-CSP "-//OMA//DTD WV-CSP 1.1//EN" \n\t` +
    `"http://www.openmobilealliance.org/DTD/WV-CSP.XML">\n`;
  for (const prologue of [spec, baraza]) {
    const bytes = new TextEncoder().encode(prologue + body);
    equal(decodeCspBytes(bytes).transactions[0].primitive.name, "GetSPInfo-Request");
  }
});

Deno.test("wrong root or namespace: 400, or 505 for CSP of an unknown version", () => {
  cspError(envelope(MODE + ID).replaceAll("WV-CSP-Message", "WV-SSP-Message"), 400);
  cspError(envelope(MODE + ID).replace(CSP12.csp, "urn:something-else"), 400);
  cspError(envelope(MODE + ID).replace(` xmlns="${CSP12.csp}"`, ""), 400);
  cspError(envelope(MODE + ID).replace(CSP12.csp, CSP12.csp.replace("1.2", "1.4")), 505);
  cspError(envelope(MODE + ID).replace(CSP12.csp, "http://www.wireless-village.org/CSP1.0"), 505);
});

Deno.test("missing or invalid envelope parts are 400", () => {
  cspError(envelope(ID), 400);
  cspError(envelope(MODE), 400);
  cspError(envelope("<TransactionMode>Maybe</TransactionMode>" + ID), 400);
  cspError(envelope(MODE + ID, ""), 400);
  cspError(envelope(MODE + ID, "<SessionType>Sideband</SessionType>"), 400);
  cspError(envelope(MODE + ID + "<Poll>yes</Poll>"), 400);
  cspError(envelope(MODE + ID).replace(/<SessionDescriptor>.*<\/SessionDescriptor>/, ""), 400);
  cspError(envelope(MODE + ID).replace("<GetSPInfo-Request/>", ""), 400);
  cspError(envelope(MODE + ID).replace("<GetSPInfo-Request/>", "<A/><B/>"), 400);
  cspError(`<WV-CSP-Message xmlns="${CSP12.csp}"><Session/></WV-CSP-Message>`, 400);
  cspError(`<WV-CSP-Message xmlns="${CSP12.csp}"/>`, 400);
});

Deno.test("element names that are Object.prototype keys stay plain data", () => {
  // fast-xml-parser refuses them; that must surface as an XmlError.
  for (const name of ["__proto__", "constructor"]) {
    xmlError(envelope(MODE + ID).replace("<GetSPInfo-Request/>", `<X><${name}/></X>`));
  }
  // Another tree source may let them through; they must become own properties.
  const child = (name: string) => ({ name, attrs: {}, children: [], text: "yes" });
  const tree = {
    name: "X",
    attrs: {},
    text: "",
    children: [child("__proto__"), child("constructor")],
  };
  const obj = decodeObject(tree);
  equal(Object.getPrototypeOf(obj), Object.prototype);
  ok(Object.hasOwn(obj, "__proto__"));
  equal(obj.constructor, "yes");
});
