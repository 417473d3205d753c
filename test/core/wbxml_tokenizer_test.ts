/**
 * The WebAssembly WBXML tokenizer and its TypeScript twin: identical tokens, header fields and
 * error offsets on real documents, generated ones and thousands of mutations; and each kind of
 * hostile input stopped with its own error, in bounded time.
 */
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { decodeCsp } from "../../src/codec/csp/mod.ts";
import { encodeCspWbxml, encodeWbxmlTree } from "../../src/codec/wbxml/mod.ts";
import type { CspVersion } from "../../src/codec/csp/message.ts";
import { type Core, loadCore } from "../../src/core/mod.ts";
import {
  WB_TOKEN_WORDS,
  WBERR_CHARSET,
  WBERR_CONTENT_OUTSIDE_ROOT,
  WBERR_MB_OVERFLOW,
  WBERR_MB_TOO_LONG,
  WBERR_NO_ROOT,
  WBERR_OPAQUE_TOO_LONG,
  WBERR_SECOND_ROOT,
  WBERR_STRAY_END,
  WBERR_STRING_TABLE_TOO_LONG,
  WBERR_TABLE_REFERENCE,
  WBERR_TOO_DEEP,
  WBERR_TOO_MANY_ATTRIBUTES,
  WBERR_TOO_MANY_ELEMENTS,
  WBERR_UNCLOSED_ELEMENT,
  WBERR_UNEXPECTED_END,
  WBERR_UNSUPPORTED_TOKEN,
  WBERR_UNTERMINATED_STRING,
  WBERR_VALUE_BEFORE_ATTRIBUTE,
  WBERR_VERSION,
} from "../../src/core/wbxml_tokens.ts";
import { parse } from "../codec/fixtures.ts";
import { fixtureFiles, pick, prng } from "./helpers.ts";

const ts = await loadCore("ts");
const wasm = await loadCore("wasm");
const MAX_DEPTH = 32, MAX_ELEMENTS = 20_000;

/** Everything a run gives, copied out (the WASM views are reused by the next call). */
function run(core: Core, input: Uint8Array, maxDepth = MAX_DEPTH, maxElements = MAX_ELEMENTS) {
  const r = core.wbxmlTokenizer.tokenize(input, maxDepth, maxElements);
  return { ...r, tokens: Array.from(r.tokens.subarray(0, r.count * WB_TOKEN_WORDS)) };
}

function agree(input: Uint8Array, label: string, maxDepth = MAX_DEPTH): ReturnType<typeof run> {
  const a = run(ts, input, maxDepth), b = run(wasm, input, maxDepth);
  deepStrictEqual(b, a, label);
  return a;
}

const bytes = (...parts: (number | string)[]) =>
  Uint8Array.from(
    parts.flatMap((p) => typeof p === "number" ? [p] : [...p].map((c) => c.charCodeAt(0))),
  );

/** A header: WBXML 1.3, public id 0x11, UTF-8, an empty string table. */
const HEADER = [0x03, 0x11, 0x6a, 0x00];

const realDocuments = [
  ...fixtureFiles("csp11-spec-examples/wbxml-libwbxml", ".wbxml"),
  ...fixtureFiles("baraza", ".wbxml"),
];
/** The spec examples in each version, as our encoder writes them (code pages, LITERAL, OPAQUE). */
const ourDocuments = fixtureFiles("csp11-spec-examples/xml", ".xml").flatMap(({ name, bytes }) =>
  (["1.1", "1.2", "1.3"] as CspVersion[]).map((version) => ({
    name: `${name} ${version}`,
    bytes: encodeCspWbxml({ ...decodeCsp(parse(bytes)), version }),
  }))
);

Deno.test("real and encoded documents: WASM = TS, and well-formed", () => {
  for (const { name, bytes } of [...realDocuments, ...ourDocuments]) {
    equal(agree(bytes, name).errorCode, 0, name);
  }
  if (realDocuments.length > 0) equal(realDocuments.length, 116 + 4);
});

Deno.test("thousands of mutations of real documents: WASM = TS, error offsets included", () => {
  const random = prng(20);
  const documents = [...realDocuments, ...ourDocuments.filter((_, i) => i % 7 === 0)];
  if (documents.length === 0) documents.push({ name: "own", bytes: ownDocument() });
  let rejected = 0;
  for (let round = 0; round < 8_000; round++) {
    const { name, bytes } = pick(random, documents);
    const mutated = mutate(random, bytes);
    if (agree(mutated, `${name} mutation ${round}`).errorCode !== 0) rejected++;
  }
  ok(rejected > 1_000, `only ${rejected} mutations were malformed`);
});

Deno.test("generated token streams, UTF-16 strings and string tables: WASM = TS", () => {
  const random = prng(7);
  for (let round = 0; round < 3_000; round++) {
    const doc = generate(random);
    agree(doc, `generated ${round}`);
    agree(doc, `generated ${round}, shallow`, 3);
  }
});

function ownDocument(): Uint8Array {
  const xml = '<WV-CSP-Message xmlns="http://www.openmobilealliance.org/DTD/WV-CSP1.2"><Session>' +
    "<SessionDescriptor><SessionType>Outband</SessionType></SessionDescriptor><Transaction>" +
    "<TransactionDescriptor><TransactionMode>Request</TransactionMode><TransactionID>1" +
    "</TransactionID></TransactionDescriptor><TransactionContent " +
    'xmlns="http://www.openmobilealliance.org/DTD/WV-TRC1.2"><KeepAlive-Request><TimeToLive>600' +
    "</TimeToLive></KeepAlive-Request><Unknown-Element/></TransactionContent></Transaction>" +
    "</Session></WV-CSP-Message>";
  return encodeWbxmlTree(parse(xml), "1.2");
}

/** One random damage: a byte changed, a cut, an insertion, a run of 0x80, a byte dropped. */
function mutate(random: () => number, input: Uint8Array): Uint8Array {
  const at = Math.floor(random() * input.length);
  const copy = [...input];
  switch (Math.floor(random() * 6)) {
    case 0:
      copy[at] = Math.floor(random() * 256);
      break;
    case 1:
      return input.subarray(0, at);
    case 2:
      copy.splice(at, 0, Math.floor(random() * 256));
      break;
    case 3:
      copy.splice(at, 0, ...new Array(1 + Math.floor(random() * 7)).fill(0x80));
      break;
    case 4:
      copy.splice(at, 1);
      break;
    default:
      copy[at] = pick(random, [0x00, 0x01, 0x02, 0x03, 0x04, 0x43, 0x44, 0x80, 0x83, 0xc3, 0xc4]);
  }
  return Uint8Array.from(copy);
}

/** A document of random tokens, mostly well-formed: any charset width, table strings, LITERALs. */
function generate(random: () => number): Uint8Array {
  const wide = random() < 0.3;
  const unit = (c: number) => wide ? [0, c] : [c];
  const str = (s: string) => [...[...s].flatMap((c) => unit(c.charCodeAt(0))), ...unit(0)];
  const table = [...str("Name"), ...str("xyz"), ...(random() < 0.2 ? [0x41] : [])];
  const out = [0x03, random() < 0.5 ? 0x00 : 0x11];
  if (out[1] === 0x00) out.push(0x00);
  out.push(...(wide ? [0x87, 0x68] : [0x6a]), table.length, ...table); // 1000 = UCS-2
  let depth = 0;
  const steps = 1 + Math.floor(random() * 40);
  out.push(0x49); // root, with content
  depth++;
  for (let i = 0; i < steps && depth > 0; i++) {
    const r = random();
    if (r < 0.3) {
      const tag = 0x05 + Math.floor(random() * 0x3b);
      const attrs = random() < 0.2;
      const content = random() < 0.6;
      out.push(tag | (attrs ? 0x80 : 0) | (content ? 0x40 : 0));
      if (attrs) {
        out.push(0x05 + Math.floor(random() * 9), 0x03, ...str("1.2"));
        if (random() < 0.3) out.push(0x04, wide ? 0 : 0, 0x83, 0);
        out.push(0x01);
      }
      if (content) depth++;
    } else if (r < 0.45) {
      out.push(0x03, ...str("text"));
    } else if (r < 0.55) {
      out.push(0x83, random() < 0.5 ? 0 : table.length >> 1);
    } else if (r < 0.65) {
      out.push(0x80, Math.floor(random() * 0x7f));
    } else if (r < 0.7) {
      out.push(0xc3, 2, 0x01, 0xc8);
    } else if (r < 0.75) {
      out.push(0x00, Math.floor(random() * 12));
    } else if (r < 0.8) {
      out.push(0x44, 0x00, 0x01); // LITERAL_C "Name", then END
    } else {
      out.push(0x01);
      depth--;
    }
  }
  while (depth-- > 0 && random() < 0.9) out.push(0x01);
  return Uint8Array.from(out);
}

/** What both cores say about `input`: the error and where. */
function error(input: Uint8Array, maxDepth = MAX_DEPTH, maxElements = MAX_ELEMENTS) {
  const a = run(ts, input, maxDepth, maxElements), b = run(wasm, input, maxDepth, maxElements);
  deepStrictEqual(b, a);
  return [a.errorCode, a.errorOffset];
}

Deno.test("each kind of hostile input stops with its own error and offset", () => {
  deepStrictEqual(error(bytes()), [WBERR_UNEXPECTED_END, 0]);
  deepStrictEqual(error(bytes(0x03, 0x11, 0x6a)), [WBERR_UNEXPECTED_END, 3]);
  deepStrictEqual(error(bytes(0x00, 0x11, 0x6a, 0x00, 0x49, 0x01)), [WBERR_VERSION, 0]);
  deepStrictEqual(error(bytes(0x03, 0x11, 0x84, 0x60, 0x00, 0x49, 0x01)), [WBERR_CHARSET, 2]);
  // mb_u_int32: six bytes; five whose value passes 32 bits.
  deepStrictEqual(error(bytes(0x03, 0x81, 0x80, 0x80, 0x80, 0x80, 0x00)), [WBERR_MB_TOO_LONG, 1]);
  deepStrictEqual(error(bytes(0x03, 0x90, 0x80, 0x80, 0x80, 0x00)), [WBERR_MB_OVERFLOW, 1]);
  deepStrictEqual(error(bytes(0x03, 0x8f, 0xff, 0xff, 0xff, 0x7f)), [WBERR_UNEXPECTED_END, 6]);
  // A string table longer than the document; a public id string outside the table.
  deepStrictEqual(error(bytes(0x03, 0x11, 0x6a, 0x09, "abc")), [WBERR_STRING_TABLE_TOO_LONG, 3]);
  deepStrictEqual(error(bytes(0x03, 0x00, 0x05, 0x6a, 0x02, "a", 0, 0x09)), [
    WBERR_TABLE_REFERENCE,
    4,
  ]);
  deepStrictEqual(error(bytes(0x03, 0x00, 0x00, 0x6a, 0x02, "ab", 0x09)), [
    WBERR_UNTERMINATED_STRING,
    4,
  ]);
  // Body: no root, content outside it, a second root, END without a start, unclosed elements.
  deepStrictEqual(error(bytes(...HEADER)), [WBERR_NO_ROOT, 4]);
  deepStrictEqual(error(bytes(...HEADER, 0x03, "x", 0, 0x09)), [WBERR_CONTENT_OUTSIDE_ROOT, 4]);
  deepStrictEqual(error(bytes(...HEADER, 0x09, 0x09)), [WBERR_SECOND_ROOT, 5]);
  deepStrictEqual(error(bytes(...HEADER, 0x49, 0x01, 0x01)), [WBERR_STRAY_END, 6]);
  deepStrictEqual(error(bytes(...HEADER, 0x49, 0x6d, 0x01)), [WBERR_UNCLOSED_ELEMENT, 7]);
  // Strings and OPAQUE: unterminated, a table reference out of range, a length past the end.
  deepStrictEqual(error(bytes(...HEADER, 0x49, 0x03, "abc")), [WBERR_UNTERMINATED_STRING, 5]);
  deepStrictEqual(error(bytes(...HEADER, 0x49, 0x83, 0x00, 0x01)), [WBERR_TABLE_REFERENCE, 5]);
  deepStrictEqual(error(bytes(...HEADER, 0x49, 0xc3, 0x05, 1, 2, 0x01)), [
    WBERR_OPAQUE_TOO_LONG,
    5,
  ]);
  deepStrictEqual(error(bytes(...HEADER, 0x49, 0xc3, 0x8f, 0xff, 0xff, 0xff, 0x7f, 0x01)), [
    WBERR_OPAQUE_TOO_LONG,
    5,
  ]);
  // Tokens CSP has no use for: PI, EXT_I_0, EXT_T_1, EXT_0, an attribute value token.
  for (const token of [0x43, 0x40, 0x81, 0xc0]) {
    deepStrictEqual(error(bytes(...HEADER, 0x49, token, 0x00, 0x01)), [
      WBERR_UNSUPPORTED_TOKEN,
      5,
    ]);
  }
  deepStrictEqual(error(bytes(...HEADER, 0xc9, 0x05, 0x85, 0x01, 0x01)), [
    WBERR_UNSUPPORTED_TOKEN,
    6,
  ]);
  deepStrictEqual(error(bytes(...HEADER, 0xc9, 0x03, "1", 0, 0x01, 0x01)), [
    WBERR_VALUE_BEFORE_ATTRIBUTE,
    5,
  ]);
  const attributes = new Array(65).fill(0x05);
  deepStrictEqual(error(bytes(...HEADER, 0xc9, ...attributes, 0x01, 0x01)), [
    WBERR_TOO_MANY_ATTRIBUTES,
    5 + 64,
  ]);
  // Limits: nesting and element count, as for XML.
  const deep = bytes(...HEADER, ...new Array(40).fill(0x6d), ...new Array(40).fill(0x01));
  deepStrictEqual(error(deep), [WBERR_TOO_DEEP, 4 + MAX_DEPTH]);
  deepStrictEqual(error(bytes(...HEADER, 0x49, 0x2d, 0x2d, 0x2d, 0x01), 32, 3), [
    WBERR_TOO_MANY_ELEMENTS,
    7,
  ]);
});

Deno.test("16-bit charsets: strings end at an aligned 00 00, not at a zero byte", () => {
  // UCS-2 (MIBenum 1000 = mb 87 68): "A" then "\u0100" inside Name; a 00 00 straddling two
  // characters ("\u0100" + "\u0041" = 01 00 00 41) is not a terminator.
  const doc = bytes(
    0x03,
    0x11,
    0x87,
    0x68,
    0x00,
    0x49,
    0x5e,
    0x03,
    0,
    0x41,
    0x01,
    0x00,
    0,
    0x41,
    0,
    0,
    0x01,
    0x01,
  );
  const r = agree(doc, "ucs-2");
  equal(r.errorCode, 0);
  deepStrictEqual(r.tokens.slice(6, 9), [6, 8, 14]); // WB_STRING over 00 41 01 00 00 41
});

Deno.test("references into a long unterminated string table cost one pass, not one each", () => {
  const table = new Uint8Array(200_000).fill(0x41);
  const references = new Array(40_000).fill([0x83, 0x00]).flat();
  // Table length 200000 = mb 8C 9A 40.
  const document = () =>
    Uint8Array.from([0x03, 0x11, 0x6a, 0x8c, 0x9a, 0x40, ...table, 0x49, ...references, 0x01]);
  const timed = (doc: Uint8Array, expected: number) => {
    for (const core of [ts, wasm]) {
      const start = performance.now();
      equal(core.wbxmlTokenizer.tokenize(doc, MAX_DEPTH, MAX_ELEMENTS).errorCode, expected);
      const ms = performance.now() - start;
      ok(ms < 1_000, `${core.kind} took ${ms} ms`);
    }
  };
  timed(document(), WBERR_UNTERMINATED_STRING);
  // Terminated, every reference finds its end at once too.
  table[table.length - 1] = 0;
  timed(document(), 0);
});
