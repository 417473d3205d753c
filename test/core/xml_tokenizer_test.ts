import { deepStrictEqual, equal, ok, throws } from "node:assert/strict";
import { parseXmlFxp } from "../support/xml_fxp.ts";
import {
  DEFAULT_XML_LIMITS,
  type XmlElement,
  XmlError,
  type XmlLimits,
} from "../../src/codec/xml/tree.ts";
import { type Core, loadCore } from "../../src/core/mod.ts";
import {
  ERR_BAD_ATTRIBUTE,
  ERR_BAD_REFERENCE,
  ERR_BAD_START_TAG,
  ERR_CDATA_OUTSIDE_ROOT,
  ERR_DOCTYPE_INTERNAL_SUBSET,
  ERR_DUPLICATE_ATTRIBUTE,
  ERR_LT_IN_ATTRIBUTE,
  ERR_MISMATCHED_TAG,
  ERR_NO_ROOT,
  ERR_SECOND_ROOT,
  ERR_STRAY_END_TAG,
  ERR_STRAY_LT,
  ERR_TEXT_OUTSIDE_ROOT,
  ERR_TOO_DEEP,
  ERR_TOO_LARGE,
  ERR_TOO_MANY_ATTRIBUTES,
  ERR_TOO_MANY_ELEMENTS,
  ERR_UNCLOSED_ELEMENT,
  ERR_UNDEFINED_ENTITY,
  ERR_UNEXPECTED_END,
  ERR_UNKNOWN_DECLARATION,
  TOKEN_ID_SHIFT,
  TOKEN_WORDS,
  XML_ERROR_MESSAGES,
} from "../../src/core/xml_tokens.ts";
import { fixtureFiles, pick, prng } from "./helpers.ts";

const ts = await loadCore("ts");
const wasm = await loadCore("wasm");
const encoder = new TextEncoder();
const LIMITS = DEFAULT_XML_LIMITS;

/** Everything a tokenizer run gives, copied out (WASM views are reused by the next call); the
 * interned ids, which only the WASM tokenizer gives, are left out. */
function run(core: Core, input: Uint8Array, limits: XmlLimits = LIMITS) {
  const r = core.tokenizer.tokenize(input, limits.maxDepth, limits.maxElements);
  const withoutId = (word: number, i: number) =>
    i % TOKEN_WORDS === 0 ? word & ((1 << TOKEN_ID_SHIFT) - 1) : word;
  return {
    tokens: Array.from(r.tokens.subarray(0, r.count * TOKEN_WORDS), withoutId),
    facts: Array.from(r.facts),
    errorCode: r.errorCode,
    errorOffset: r.errorOffset,
  };
}

function tree(core: Core, input: Uint8Array, limits: XmlLimits = LIMITS) {
  try {
    return core.parseXml(input, limits);
  } catch (e) {
    if (!(e instanceof XmlError)) throw e;
    return { error: e.message, offset: e.offset };
  }
}

function fxpTree(input: Uint8Array): XmlElement | undefined {
  try {
    return parseXmlFxp(input, LIMITS);
  } catch {
    return undefined;
  }
}

/** WASM and TS agree exactly; where both we and fast-xml-parser accept, the trees agree too. */
function checkAgreement(input: Uint8Array, label: string): boolean {
  const a = run(ts, input), b = run(wasm, input);
  deepStrictEqual(b, a, `${label}: tokens differ`);
  const ta = tree(ts, input);
  deepStrictEqual(tree(wasm, input), ta, `${label}: trees differ`);
  if (a.errorCode !== 0) return false;
  const reference = fxpTree(input);
  if (reference) deepStrictEqual(ta, reference, `${label}: tree differs from parseXmlFxp`);
  return true;
}

const specExamples = fixtureFiles("csp11-spec-examples/xml", ".xml");
const barazaBodies = fixtureFiles("baraza", ".xml");

Deno.test("spec examples and Baraza bodies: WASM = TS = parseXmlFxp", () => {
  for (const { name, bytes } of [...specExamples, ...barazaBodies]) checkAgreement(bytes, name);
  if (specExamples.length > 0) equal(specExamples.length, 116);
  for (const { name, bytes } of specExamples) {
    equal(ts.tokenizeEnvelope(bytes, LIMITS).version, "1.1", name);
  }
});

Deno.test("envelope facts: CSP 1.2 with Baraza's DOCTYPE, CSP 1.1 Poll, SSP attributes", () => {
  const csp = encoder.encode(`<?xml version='1.0'?>
	<!DOCTYPE IMPS-CSP "-//OMA//DTD WV-CSP 1.1//EN" 
	"http://www.openmobilealliance.org/DTD/WV-CSP.XML">
<WV-CSP-Message xmlns="http://www.openmobilealliance.org/DTD/WV-CSP1.2"><Session>
<SessionDescriptor><SessionType>
Inband
</SessionType><SessionID>DE48&amp;1G</SessionID></SessionDescriptor>
<Transaction><TransactionDescriptor><TransactionMode>Request</TransactionMode>
<TransactionID><![CDATA[alice]]>-29</TransactionID></TransactionDescriptor>
<TransactionContent xmlns="http://www.openmobilealliance.org/DTD/WV-TRC1.2">
<!-- first --><KeepAlive-Request><TimeToLive>1200</TimeToLive></KeepAlive-Request>
</TransactionContent></Transaction>
<Transaction><TransactionDescriptor><TransactionMode>Response</TransactionMode>
</TransactionDescriptor></Transaction><Poll>T</Poll></Session></WV-CSP-Message>`);
  const ssp = encoder.encode(`<?xml version='1.0'?>
<WV-SSP-Message xmlns="http://www.openmobilealliance.org/DTD/WV-SSP1.3">
<Session sessionID="1@a.test"><Transaction mode="Request" transactionID="0000000001-0">
<SendMessageRequest deliveryReport="Yes"/></Transaction></Session></WV-SSP-Message>`);
  const setup = encoder.encode(
    `<WV-SSP-Message xmlns="http://www.openmobilealliance.org/DTD/WV-SSP1.3">` +
      `<SetupTransaction mode="Request" transactionID="1"><SendSecretToken/></SetupTransaction>` +
      `</WV-SSP-Message>`,
  );
  const csp13 = encoder.encode(
    `<WV-CSP-Message xmlns="http://www.openmobilealliance.org/DTD/IMPS-CSP1.3"><Session>` +
      `<Transaction><TransactionDescriptor><TransactionMode>Request</TransactionMode>` +
      `<TransactionID/><Poll>F</Poll></TransactionDescriptor></Transaction></Session>` +
      `</WV-CSP-Message>`,
  );
  for (const core of [ts, wasm]) {
    const facts = ({ tokens: _, ...rest }: ReturnType<Core["tokenizeEnvelope"]>) => rest;
    deepStrictEqual(facts(core.tokenizeEnvelope(csp, LIMITS)), {
      version: "1.2",
      sessionType: "Inband",
      sessionId: "DE48&1G",
      transactionMode: "Request",
      transactionId: "alice-29",
      primitive: "KeepAlive-Request",
      poll: "T",
    });
    deepStrictEqual(facts(core.tokenizeEnvelope(ssp, LIMITS)), {
      version: "SSP",
      sessionType: undefined,
      sessionId: "1@a.test",
      transactionMode: "Request",
      transactionId: "0000000001-0",
      primitive: "SendMessageRequest",
      poll: undefined,
    });
    const s = core.tokenizeEnvelope(setup, LIMITS);
    deepStrictEqual([s.transactionMode, s.transactionId, s.primitive], [
      "Request",
      "1",
      "SendSecretToken",
    ]);
    const c = core.tokenizeEnvelope(csp13, LIMITS);
    deepStrictEqual([c.version, c.transactionId, c.poll, c.primitive], ["1.3", "", "F", undefined]);
  }
});

/** [document, expected error code, expected offset] */
const MALFORMED: [string, number, number][] = [
  ["<a><b></a>", ERR_MISMATCHED_TAG, 6],
  ["<a><b>", ERR_UNCLOSED_ELEMENT, 6],
  ["</a>", ERR_STRAY_END_TAG, 0],
  ['<a x="1" x="2"/>', ERR_DUPLICATE_ATTRIBUTE, 9],
  ['<a x="1"y="2"/>', ERR_BAD_START_TAG, 8],
  ["<a x=1/>", ERR_BAD_ATTRIBUTE, 5],
  ['<a x="<"/>', ERR_LT_IN_ATTRIBUTE, 6],
  ['<a x="1/>', ERR_UNEXPECTED_END, 9],
  ['<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>', ERR_DOCTYPE_INTERNAL_SUBSET, 12],
  ["<a>1 < 2</a>", ERR_STRAY_LT, 5],
  ["<a>fish & chips</a>", ERR_BAD_REFERENCE, 8],
  ["<a>&nbsp;</a>", ERR_UNDEFINED_ENTITY, 3],
  ["<a>&#0;</a>", ERR_BAD_REFERENCE, 3],
  ["<a>&#xD800;</a>", ERR_BAD_REFERENCE, 3],
  ["<a>&#x110000;</a>", ERR_BAD_REFERENCE, 3],
  ["<a/><b/>", ERR_SECOND_ROOT, 4],
  ["text<a/>", ERR_TEXT_OUTSIDE_ROOT, 0],
  ["<a/>x", ERR_TEXT_OUTSIDE_ROOT, 4],
  ["<![CDATA[x]]><a/>", ERR_CDATA_OUTSIDE_ROOT, 0],
  ["<a><!ELEMENT a ANY></a>", ERR_UNKNOWN_DECLARATION, 3],
  ["<a><!-- open</a>", ERR_UNEXPECTED_END, 16],
  ["", ERR_NO_ROOT, 0],
  ["<?xml version='1.0'?><!-- only -->", ERR_NO_ROOT, 34],
];

Deno.test("malformed documents: the same error code and offset from both", () => {
  for (const [doc, code, offset] of MALFORMED) {
    const input = encoder.encode(doc);
    for (const core of [ts, wasm]) {
      const r = run(core, input);
      deepStrictEqual([r.errorCode, r.errorOffset], [code, offset], `${core.kind}: ${doc}`);
      throws(() => core.parseXml(input, LIMITS), (e: XmlError) => {
        equal(e.message, XML_ERROR_MESSAGES[code]);
        return e.offset === offset;
      });
    }
  }
});

Deno.test("limits: maxBytes, maxDepth, maxElements", () => {
  const deep = encoder.encode("<a>".repeat(5) + "</a>".repeat(5));
  const wide = encoder.encode("<a>" + "<b/>".repeat(9) + "</a>");
  for (const core of [ts, wasm]) {
    ok(core.parseXml(deep, { ...LIMITS, maxDepth: 5 }));
    deepStrictEqual(tree(core, deep, { ...LIMITS, maxDepth: 4 }), {
      error: XML_ERROR_MESSAGES[ERR_TOO_DEEP],
      offset: 12,
    });
    ok(core.parseXml(wide, { ...LIMITS, maxElements: 10 }));
    deepStrictEqual(tree(core, wide, { ...LIMITS, maxElements: 9 }), {
      error: XML_ERROR_MESSAGES[ERR_TOO_MANY_ELEMENTS],
      offset: 35,
    });
    deepStrictEqual(tree(core, wide, { ...LIMITS, maxBytes: 20 }), {
      error: XML_ERROR_MESSAGES[ERR_TOO_LARGE],
      offset: 20,
    });
    const attributes = Array.from({ length: 65 }, (_, i) => ` a${i}="${i}"`).join("");
    deepStrictEqual(
      run(core, encoder.encode(`<a${attributes}/>`)).errorCode,
      ERR_TOO_MANY_ATTRIBUTES,
    );
  }
});

Deno.test("entities, character references, CDATA, CR LF and attributes decode as specified", () => {
  const input = encoder.encode(
    `<?xml version="1.0"?><!-- c --><?pi x?><r a='&quot;1&#x41;&amp;' __proto__="p">` +
      `x &lt;&gt;&amp;&apos;&quot; &#233;&#x1F600;\r\n<![CDATA[<&>]]>é<!-- mid -->y</r>`,
  );
  for (const core of [ts, wasm]) {
    const root = core.parseXml(input, LIMITS);
    equal(root.text, `x <>&'" é😀\n<&>éy`);
    equal(root.attrs.a, '"1A&');
    equal(Object.getPrototypeOf(root.attrs), Object.prototype);
    equal(Object.getOwnPropertyDescriptor(root.attrs, "__proto__")?.value, "p");
  }
});

// ---- generated documents ----------------------------------------------------------------

const NAMES = ["Session", "Transaction", "TransactionID", "a", "x-y.z", "_n", "ns:el", "Ñame"];
const ATTRIBUTE_NAMES = ["xmlns", "mode", "id", "a-b", "c.d", "_e"];
const TEXT_PIECES: [string, string][] = [
  ["hello", "hello"],
  [" ", " "],
  ["\n  ", "\n  "],
  ["\r\n", "\n"],
  ["&lt;", "<"],
  ["&amp;", "&"],
  ["&#65;", "A"],
  ["&#x1F600;", "😀"],
  ["é", "é"],
  ["<![CDATA[a<b&c]]>", "a<b&c"],
  ["<!-- note -->", ""],
  ["<?pi data?>", ""],
  [">", ">"],
  ["'\"", "'\""],
];
const VALUE_PIECES: [string, string][] = [
  ["v", "v"],
  ["1@a.test", "1@a.test"],
  ["&amp;", "&"],
  ["&quot;", '"'],
  ["&#x41;", "A"],
  [" ", " "],
  ["ü", "ü"],
  [">", ">"],
];

/** A random well-formed document and the tree it must give. */
function generate(random: () => number, depth = 0): { xml: string; tree: XmlElement } {
  const name = pick(random, NAMES);
  const attrs: Record<string, string> = {};
  let xml = `<${name}`;
  for (const attr of ATTRIBUTE_NAMES) {
    if (random() > 0.2) continue;
    let raw = "", value = "";
    for (let i = Math.floor(random() * 4); i > 0; i--) {
      const [r, v] = pick(random, VALUE_PIECES);
      raw += r;
      value += v;
    }
    attrs[attr] = value;
    xml += random() < 0.5 ? ` ${attr}="${raw}"` : `\n ${attr} = '${raw.replaceAll("'", "&apos;")}'`;
  }
  const element: XmlElement = { name, attrs, children: [], text: "" };
  const parts = depth > 5 ? Math.floor(random() * 3) : Math.floor(random() * 6);
  if (parts === 0 && random() < 0.5) {
    return { xml: xml + (random() < 0.5 ? "/>" : " />"), tree: element };
  }
  xml += ">";
  for (let i = 0; i < parts; i++) {
    if (random() < 0.4) {
      const child = generate(random, depth + 1);
      xml += child.xml;
      element.children.push(child.tree);
    } else {
      const [r, v] = pick(random, TEXT_PIECES);
      xml += r;
      element.text += v;
    }
  }
  return { xml: xml + `</${name}${random() < 0.2 ? " " : ""}>`, tree: element };
}

const PROLOGS = [
  "",
  '<?xml version="1.0" encoding="UTF-8"?>\n',
  '<?xml version="1.0"?>\n<!DOCTYPE WV-CSP-Message PUBLIC "-//OMA//DTD WV-CSP 1.2//EN" ' +
  '"http://www.openmobilealliance.org/DTD/WV-CSP.DTD">\n',
  "<?xml version='1.0'?>\n\t<!DOCTYPE IMPS-CSP \"-//OMA//DTD WV-CSP 1.1//EN\" \n\t" +
  '"http://www.openmobilealliance.org/DTD/WV-CSP.XML">',
  "\uFEFF<!-- lead -->",
];

Deno.test("3000 generated documents: both give the generated tree, as parseXmlFxp does", () => {
  const random = prng(0xc0ffee);
  for (let i = 0; i < 3000; i++) {
    const { xml, tree: expected } = generate(random);
    const input = encoder.encode(
      pick(random, PROLOGS) + xml + (random() < 0.3 ? "\n<!-- end -->\n" : ""),
    );
    ok(checkAgreement(input, `generated #${i}`), `generated #${i} rejected: ${xml}`);
    deepStrictEqual(ts.parseXml(input, LIMITS), expected, `generated #${i}`);
  }
});

const SPECIAL = [
  "<",
  ">",
  "&",
  "/",
  "=",
  '"',
  "'",
  "[",
  "]",
  "!",
  "?",
  "-",
  ";",
  "#",
  "x",
  " ",
  "\n",
]
  .map((s) => s.charCodeAt(0));

function mutate(random: () => number, input: Uint8Array): Uint8Array {
  const bytes = Array.from(input);
  for (let m = 1 + Math.floor(random() * 3); m > 0; m--) {
    const at = Math.floor(random() * (bytes.length + 1));
    switch (Math.floor(random() * 6)) {
      case 0:
        bytes.splice(at, 1 + Math.floor(random() * 4));
        break;
      case 1:
        bytes.splice(at, 0, pick(random, SPECIAL));
        break;
      case 2:
        bytes[Math.min(at, bytes.length - 1)] = pick(random, SPECIAL);
        break;
      case 3:
        bytes.length = at;
        break;
      case 4:
        bytes.splice(at, 0, ...bytes.slice(Math.floor(random() * bytes.length)).slice(0, 12));
        break;
      case 5:
        bytes[Math.min(at, bytes.length - 1)] = Math.floor(random() * 256);
        break;
    }
  }
  return Uint8Array.from(bytes);
}

Deno.test("8000 mutated documents: identical tokens, facts and error offsets; no crash", () => {
  const random = prng(0xbadc0de);
  const seeds = [...specExamples, ...barazaBodies].map((f) => f.bytes).filter((b) => b.length);
  for (let i = 0; i < 200; i++) seeds.push(encoder.encode(generate(random).xml));
  let accepted = 0;
  for (let i = 0; i < 8000; i++) {
    const input = mutate(random, pick(random, seeds));
    if (checkAgreement(input, `mutation #${i}`)) accepted++;
  }
  ok(accepted > 0 && accepted < 8000, `accepted ${accepted}`);
});

Deno.test("short spans decoded again come back right, however many share a slot", () => {
  // Far more distinct names and values of one length than the decoder remembers: a remembered
  // string is returned only for the very same bytes.
  const names = Array.from({ length: 5000 }, (_, i) => `E${i.toString(36).padStart(4, "0")}`);
  for (const from of [0, 1234]) {
    const order = [...names.slice(from), ...names.slice(0, from)];
    const doc = `<r>${order.map((n) => `<${n} a="${n}">${n}</${n}>`).join("")}</r>`;
    ok(checkAgreement(encoder.encode(doc), `rotated by ${from}`));
    const children = (wasm.parseXml(encoder.encode(doc), LIMITS)).children;
    deepStrictEqual(children.map((c) => [c.name, c.attrs.a, c.text]), order.map((n) => [n, n, n]));
  }
});
