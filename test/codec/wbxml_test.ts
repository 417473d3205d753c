/**
 * The CSP meaning of WBXML tokens: names by version, value tokens, OPAQUE integers, dates and
 * binary content, charsets, the root's namespace; and every document CSP cannot mean refused with
 * a WbxmlError at its offset, never anything else.
 */
import { deepStrictEqual, equal, fail, ok, throws } from "node:assert/strict";
import { CspCodecError, decodeCsp } from "../../src/codec/csp/mod.ts";
import type { CspVersion } from "../../src/codec/csp/message.ts";
import { encodeCspWbxml, encodeWbxmlTree, WbxmlError } from "../../src/codec/wbxml/mod.ts";
import { DEFAULT_XML_LIMITS, type XmlElement } from "../../src/codec/xml/tree.ts";
import { loadCore } from "../../src/core/mod.ts";
import { comparable, parse } from "./fixtures.ts";

const readers = await Promise.all(
  (["wasm", "ts"] as const).map(async (kind) => (await loadCore(kind)).parseWbxml),
);

/** The tree both cores read from `input` (they must agree). */
function read(input: Uint8Array, defaultVersion?: CspVersion): XmlElement {
  const [a, b] = readers.map((r) => r(input, DEFAULT_XML_LIMITS, defaultVersion));
  deepStrictEqual(a, b);
  return a;
}

/** The WbxmlError both cores throw for `input`. */
function refusal(input: Uint8Array): WbxmlError {
  const errors = readers.map((r) => {
    try {
      r(input, DEFAULT_XML_LIMITS, "1.2");
    } catch (e) {
      if (e instanceof WbxmlError) return e;
      fail(`not a WbxmlError: ${e}`);
    }
    fail("accepted");
  });
  deepStrictEqual([errors[1].message, errors[1].offset], [errors[0].message, errors[0].offset]);
  return errors[0];
}

const bytes = (...parts: (number | string | number[])[]) =>
  Uint8Array.from(
    parts.flatMap((p) =>
      typeof p === "number" ? [p] : typeof p === "string" ? [...new TextEncoder().encode(p)] : p
    ),
  );
const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(" ");
const HEADER_12 = [0x03, 0x11, 0x6a, 0x00];

/** A one-element document of `version`: `<name>` holding the content bytes. */
const element = (page: number, token: number, ...content: number[]) =>
  bytes(...HEADER_12, 0x00, page, token | 0x40, ...content, 0x01);

Deno.test("charsets: UTF-8, US-ASCII, ISO-8859-1, UCS-2 and UTF-16 read alike; others refused", () => {
  // <Name>Zoë</Name> (00/1E) in each charset; mb 87 68 = 1000 (UCS-2), 87 77 = 1015 (UTF-16).
  const utf8 = read(bytes(0x03, 0x11, 0x6a, 0x00, 0x5e, 0x03, "Zoë", 0x00, 0x01));
  equal(utf8.text, "Zoë");
  const latin1 = read(bytes(0x03, 0x11, 0x04, 0x00, 0x5e, 0x03, 0x5a, 0x6f, 0xeb, 0x00, 0x01));
  const ucs2 = read(
    bytes(0x03, 0x11, 0x87, 0x68, 0x00, 0x5e, 0x03, [0, 0x5a, 0, 0x6f, 0, 0xeb, 0, 0], 0x01),
  );
  const utf16 = read(
    bytes(0x03, 0x11, 0x87, 0x77, 0x00, 0x5e, 0x03, [0xd8, 0x3d, 0xde, 0x00, 0, 0], 0x01),
  );
  deepStrictEqual([latin1.text, ucs2.text, utf16.text], ["Zoë", "Zoë", "😀"]);
  equal(read(bytes(0x03, 0x11, 0x03, 0x00, 0x5e, 0x03, "Zoe", 0x00, 0x01)).text, "Zoe");
  equal(read(bytes(0x03, 0x11, 0x00, 0x00, 0x5e, 0x03, "Zoë", 0x00, 0x01)).text, "Zoë"); // unknown: UTF-8
  ok(/US-ASCII/.test(refusal(bytes(0x03, 0x11, 0x03, 0x00, 0x5e, 0x03, 0xeb, 0x00, 0x01)).message));
  ok(/UTF-8/.test(refusal(bytes(...HEADER_12, 0x5e, 0x03, 0xc3, 0x28, 0x00, 0x01)).message));
  ok(
    /UTF-16/.test(
      refusal(bytes(0x03, 0x11, 0x87, 0x77, 0x00, 0x5e, 0x03, [0xd8, 0x3d, 0, 0], 0x01)).message,
    ),
  );
  ok(/control/.test(refusal(bytes(...HEADER_12, 0x5e, 0x03, 0x07, 0x00, 0x01)).message));
  ok(/charset/.test(refusal(bytes(0x03, 0x11, 0x84, 0x60, 0x00, 0x5e, 0x01)).message)); // 608
});

Deno.test("the root's xmlns: given wins; else the public id (number or string); else the default", () => {
  const root = (publicId: number[], attrs: number[] = []) =>
    read(
      bytes(
        0x03,
        ...publicId,
        ...(attrs.length ? [0xc9, ...attrs, 0x01] : [0x49]),
        0x6d,
        0x01,
        0x01,
      ),
      "1.2",
    );
  equal(root([0x10, 0x6a, 0x00]).attrs.xmlns, "http://www.wireless-village.org/CSP1.1");
  equal(root([0x12, 0x6a, 0x00]).attrs.xmlns, "http://www.openmobilealliance.org/DTD/IMPS-CSP1.3");
  // Public id 0 and the string "-//OMA//DTD WV-CSP 1.2//EN" at table offset 0, as libwbxml writes.
  const id = "-//OMA//DTD WV-CSP 1.2//EN";
  equal(
    root([0x00, 0x00, 0x6a, id.length + 1, ...new TextEncoder().encode(id), 0]).attrs.xmlns,
    "http://www.openmobilealliance.org/DTD/WV-CSP1.2",
  );
  // An unknown public id: the content type's version.
  equal(
    read(bytes(0x03, 0x01, 0x6a, 0x00, 0x49, 0x01), "1.3").attrs.xmlns,
    "http://www.openmobilealliance.org/DTD/IMPS-CSP1.3",
  );
  // The attribute (token 0x0B + "1.3") wins over public id 0x11.
  equal(
    root([0x11, 0x6a, 0x00], [0x0b, 0x03, 0x31, 0x2e, 0x33, 0x00]).attrs.xmlns,
    "http://www.openmobilealliance.org/DTD/IMPS-CSP1.3",
  );
  // Nothing names a version: no xmlns, and the codec says 400.
  const unnamed = read(bytes(0x03, 0x01, 0x6a, 0x00, 0x49, 0x6d, 0x01, 0x01));
  deepStrictEqual(unnamed.attrs, {});
  throws(() => decodeCsp(unnamed), (e) => e instanceof CspCodecError && e.status === 400);
});

Deno.test("names that changed between versions are read per version and written from any", () => {
  const v = (
    version: CspVersion,
    ns: number,
  ) => [0xc9, ns, 0x03, ...new TextEncoder().encode(version), 0x00, 0x01];
  const doc = (version: CspVersion, ns: number, page: number, token: number) =>
    read(bytes(0x03, 0x01, 0x6a, 0x00, ...v(version, ns), 0x00, page, token, 0x01));
  const child = (version: CspVersion, page: number, token: number) =>
    doc(version, version === "1.1" ? 0x05 : version === "1.2" ? 0x08 : 0x0b, page, token)
      .children[0].name;
  deepStrictEqual(["1.1", "1.2", "1.3"].map((x) => child(x as CspVersion, 3, 0x14)), [
    "CIRURL",
    "CIRURL",
    "CIRHTTPAddress",
  ]);
  deepStrictEqual(["1.1", "1.2", "1.3"].map((x) => child(x as CspVersion, 5, 0x26)), [
    "PreferredContent",
    "ReferredContent",
    "ReferredContent",
  ]);
  deepStrictEqual(["1.2", "1.3"].map((x) => child(x as CspVersion, 9, 0x0b)), [
    "ReactiveAuthState",
    "AnswerOptionText",
  ]);
  equal(child("1.1", 6, 0x06), "BlockEntity-Request"); // the 1.1 spec example wv-078 uses this name
  // Every spelling is written as its token, where the version has it; else as LITERAL.
  const tail = (name: string, version: CspVersion) =>
    hex(encodeWbxmlTree(parse(`<${name}/>`), version)).split(" ").slice(-3).join(" ");
  equal(tail("BlockUser-Request", "1.1"), "00 06 06");
  equal(tail("Auto-Subscribe", "1.2"), "00 04 1e");
  equal(tail("Extended-Data", "1.2"), "00 01 3b");
  equal(tail("CIRHTTPAddress", "1.3"), "00 03 14");
  // 1.3 tags are LITERAL in 1.2, and tags 1.3 dropped are LITERAL in 1.3.
  const literal = (name: string, version: CspVersion) =>
    hex(encodeWbxmlTree(parse(`<${name}/>`), version)).endsWith(" 00 04 00"); // table, LITERAL 0
  ok(literal("CIRURL", "1.2"));
  equal(tail("PresenceAuth-User", "1.2"), "00 04 1a");
  ok(literal("PresenceAuth-User", "1.3"));
});

Deno.test("value tokens: read in any version, 0x68 and 0x3D by context; written only where defined", () => {
  const value = (version: CspVersion, page: number, token: number, v: number) =>
    read(
      bytes(
        0x03,
        { "1.1": 0x10, "1.2": 0x11, "1.3": 0x12 }[version],
        0x6a,
        0x00,
        0x00,
        page,
        token | 0x40,
        0x80,
        v,
        0x01,
      ),
    ).text;
  deepStrictEqual([value("1.2", 5, 0x0f, 0x68), value("1.3", 5, 0x0f, 0x68)], ["IM", "AP"]);
  deepStrictEqual([value("1.3", 1, 0x24, 0x3d), value("1.3", 0, 0x1e, 0x3d)], [
    "GROUP_ID",
    "History",
  ]);
  equal(value("1.1", 0, 0x3d, 0x31), "AutoDelete"); // a 1.3 token, read in 1.1 all the same
  ok(/unknown value token 0x92/.test(refusal(element(0, 0x3d, 0x80, 0x81, 0x12)).message));
  const written = (version: CspVersion, xml: string) =>
    hex(encodeWbxmlTree(parse(xml), version)).slice(12);
  // AutoDelete: a token in 1.3 only; Validity as a value from 1.2; T in every version.
  equal(written("1.2", "<Value>AutoDelete</Value>"), "7d 03 41 75 74 6f 44 65 6c 65 74 65 00 01");
  equal(written("1.3", "<Value>AutoDelete</Value>"), "7d 80 31 01");
  equal(written("1.1", "<Value>Validity</Value>"), "7d 03 56 61 6c 69 64 69 74 79 00 01");
  equal(written("1.2", "<Value>Validity</Value>"), "7d 80 33 01");
  equal(written("1.1", "<Value>T</Value>"), "7d 80 2c 01");
  // IM is 0x12 (never the presence 0x68); GROUP_ID inline in a Name, History always inline.
  equal(written("1.1", "<Value>IM</Value>"), "7d 80 12 01");
  equal(written("1.3", "<Name>GROUP_ID</Name>"), "5e 03 47 52 4f 55 50 5f 49 44 00 01");
  equal(written("1.3", "<Name>History</Name>"), "5e 03 48 69 73 74 6f 72 79 00 01");
});

Deno.test("integers and dates: OPAQUE or inline both read; written OPAQUE where the version says", () => {
  equal(read(element(0, 0x0b, 0xc3, 0x02, 0x01, 0x91)).text, "401");
  equal(read(element(0, 0x0b, 0x03, ...new TextEncoder().encode("401"), 0x00)).text, "401");
  equal(read(element(0, 0x0b, 0xc3, 0x00)).text, "0");
  ok(/longer than 4 bytes/.test(refusal(element(0, 0x0b, 0xc3, 0x05, 1, 2, 3, 4, 5)).message));
  equal(
    read(element(0, 0x11, 0xc3, 0x06, 0x1f, 0x46, 0x73, 0x0e, 0xbb, 0x5a)).text,
    "20010925T165859Z",
  );
  equal(
    read(element(0, 0x11, 0xc3, 0x06, 0x1f, 0x46, 0xa6, 0x9c, 0x9f, 0x00)).text,
    "20011019T095031Z",
  );
  ok(/not 6 bytes/.test(refusal(element(0, 0x11, 0xc3, 0x02, 0x1f, 0x46)).message));
  ok(
    /time zone/.test(
      refusal(element(0, 0x11, 0xc3, 0x06, 0x1f, 0x46, 0x73, 0x0e, 0xbb, 0x4a)).message,
    ),
  );
  const written = (version: CspVersion, xml: string) =>
    hex(encodeWbxmlTree(parse(xml), version)).slice(12);
  // SearchID is an OPAQUE integer in the 1.1/1.2 list, a string in 1.3's; AcceptedPullLength
  // (a 1.3 element) the other way round.
  equal(written("1.2", "<SearchID>300</SearchID>"), "00 01 66 c3 02 01 2c 01");
  equal(written("1.3", "<SearchID>300</SearchID>"), "00 01 66 03 33 30 30 00 01");
  equal(written("1.3", "<AcceptedPullLength>300</AcceptedPullLength>"), "00 03 56 c3 02 01 2c 01");
  // Not a plain decimal, or more than 32 bits: a string.
  equal(written("1.2", "<Code>0200</Code>"), "4b 03 30 32 30 30 00 01");
  equal(written("1.2", "<Code>4294967296</Code>"), "4b 03 34 32 39 34 39 36 37 32 39 36 00 01");
  // A date without a zone, or in extended format, stays a string: the OPAQUE form would add one.
  equal(written("1.2", "<DateTime>20010925T165859</DateTime>").slice(0, 5), "51 03");
  equal(written("1.2", "<DateTime>2001-09-25T16:58:59Z</DateTime>").slice(0, 5), "51 03");
});

Deno.test("binary content: OPAQUE ContentData becomes Base64 and its ContentEncoding BASE64", () => {
  const png = [0x89, 0x50, 0x4e, 0x47, 0x00, 0xff];
  // SendMessage-Request (06/17) > MessageInfo (06/13) > ContentType image/png; ContentData OPAQUE.
  const doc = (encoding: number[]) =>
    bytes(
      ...HEADER_12,
      0x00,
      0x06,
      0x57,
      0x53,
      0x00,
      0x00,
      0x50,
      0x80,
      0x10,
      0x03,
      "png",
      0x00,
      0x01,
      ...encoding,
      0x01,
      0x4d,
      0xc3,
      png.length,
      ...png,
      0x01,
      0x01,
    );
  for (const encoding of [[], [0x4e, 0x80, 0x16, 0x01]]) { // none, or ContentEncoding None
    const tree = read(doc(encoding));
    const info = tree.children[0];
    deepStrictEqual(info.children.map((c) => [c.name, c.text]), [["ContentType", "image/png"], [
      "ContentEncoding",
      "BASE64",
    ]]);
    equal(tree.children[1].text, btoa(String.fromCharCode(...png)));
  }
  ok(/mixes/.test(refusal(element(0, 0x0d, 0x03, 0x41, 0x00, 0xc3, 0x01, 0x41)).message));
  ok(/mixes/.test(refusal(element(0, 0x0d, 0xc3, 0x01, 0x41, 0x03, 0x41, 0x00)).message));
});

Deno.test("LITERAL names, string-table strings and attributes round-trip; bad ones are refused", () => {
  const xml = '<WV-CSP-Message xmlns="http://www.openmobilealliance.org/DTD/WV-CSP1.2">' +
    '<Private-Thing lang="fi" xmlns="urn:x"><Name>Ann</Name><Private-Thing/></Private-Thing>' +
    "</WV-CSP-Message>";
  const encoded = encodeWbxmlTree(parse(xml), "1.2");
  // Names go to the string table once each: "Private-Thing\0lang\0xmlns\0" (urn:x has no token).
  ok(
    hex(encoded).startsWith("03 11 6a 19 50 72 69 76 61 74 65 2d 54 68 69 6e 67 00 6c 61 6e 67 00"),
  );
  deepStrictEqual(comparable(read(encoded)), comparable(parse(xml)));
  // A string-table string as content: STR_T 1 in "abc\0" reads "bc".
  equal(read(bytes(0x03, 0x11, 0x6a, 0x04, "abc", 0x00, 0x5e, 0x83, 0x01, 0x01)).text, "bc");
  ok(
    /not an XML name/.test(refusal(bytes(0x03, 0x11, 0x6a, 0x04, "a<b", 0x00, 0x04, 0x00)).message),
  );
  ok(
    /duplicate attribute xmlns/.test(
      refusal(bytes(...HEADER_12, 0xc9, 0x08, 0x08, 0x01, 0x01)).message,
    ),
  );
  ok(/unknown attribute 0x20/.test(refusal(bytes(...HEADER_12, 0xc9, 0x20, 0x01, 0x01)).message));
  ok(
    /unknown tag 0x35 on code page 0x01/.test(
      refusal(bytes(...HEADER_12, 0x00, 0x01, 0x35)).message,
    ),
  );
  ok(
    /unknown tag 0x05 on code page 0x0C/.test(
      refusal(bytes(...HEADER_12, 0x00, 0x0c, 0x05)).message,
    ),
  );
  ok(/invalid character/.test(refusal(element(0, 0x1e, 0x02, 0x00)).message));
  equal(read(element(0, 0x1e, 0x02, 0x83, 0x74)).text, "\u01f4"); // ENTITY 500
});

Deno.test("a message written in WBXML decodes to the same message, in every version", () => {
  const xml = (version: CspVersion) => {
    const ns = {
      "1.1": ["http://www.wireless-village.org/CSP1.1", "http://www.wireless-village.org/TRC1.1"],
      "1.2": [
        "http://www.openmobilealliance.org/DTD/WV-CSP1.2",
        "http://www.openmobilealliance.org/DTD/WV-TRC1.2",
      ],
      "1.3": [
        "http://www.openmobilealliance.org/DTD/IMPS-CSP1.3",
        "http://www.openmobilealliance.org/DTD/IMPS-TRC1.3",
      ],
    }[version];
    return `<WV-CSP-Message xmlns="${
      ns[0]
    }"><Session><SessionDescriptor><SessionType>Inband</SessionType><SessionID>s1</SessionID></SessionDescriptor><Transaction><TransactionDescriptor><TransactionMode>Request</TransactionMode><TransactionID>7</TransactionID></TransactionDescriptor><TransactionContent xmlns="${
      ns[1]
    }"><SendMessage-Request><DeliveryReport>T</DeliveryReport><MessageInfo><ContentType>text/plain</ContentType><ContentSize>12</ContentSize><Recipient><User><UserID>wv:bob@example.com</UserID></User></Recipient><DateTime>20260101T120000Z</DateTime><Validity>3600</Validity></MessageInfo><ContentData> Hej &amp; hi! </ContentData></SendMessage-Request></TransactionContent></Transaction></Session></WV-CSP-Message>`;
  };
  for (const version of ["1.1", "1.2", "1.3"] as CspVersion[]) {
    const message = decodeCsp(parse(xml(version)));
    deepStrictEqual(decodeCsp(read(encodeCspWbxml(message))), message, version);
  }
});

Deno.test("string-table references cannot expand a small document past maxBytes", () => {
  // A 4 KiB table string referenced 100 times: 400 KiB of text from 4.4 KiB of WBXML.
  const table = [...new Array(4096).fill(0x41), 0x00];
  const references = new Array(100).fill([0x83, 0x00]).flat();
  const doc = bytes(0x03, 0x11, 0x6a, 0xa0, 0x01, table, 0x5e, references, 0x01);
  const start = performance.now();
  ok(/expand past maxBytes/.test(refusal(doc).message));
  ok(performance.now() - start < 1_000);
  // Within the limit the same references read.
  equal(
    read(bytes(0x03, 0x11, 0x6a, 0xa0, 0x01, table, 0x5e, 0x83, 0x00, 0x83, 0x00, 0x01)).text
      .length,
    8192,
  );
});
