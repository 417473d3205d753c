/**
 * libwbxml as a live oracle (Debian libwbxml2-utils): every CSP 1.1 spec example (which between
 * them hold a request and an answer of every service element), in 1.1 and in 1.2, and every
 * CSP 1.1/1.2 message of Baraza's captures in its own version, round-trips both ways: our WBXML
 * through `wbxml2xml` gives our XML, and `xml2wbxml`'s WBXML through our decoder gives the
 * message's tree.
 */
import { deepStrictEqual, ok } from "node:assert/strict";
import { decodeCsp, encodeCsp } from "../../src/codec/csp/mod.ts";
import type { CspMessage } from "../../src/codec/csp/message.ts";
import { encodeCspWbxml } from "../../src/codec/wbxml/mod.ts";
import { DEFAULT_XML_LIMITS } from "../../src/codec/xml/tree.ts";
import { loadCore } from "../../src/core/mod.ts";
import {
  asLibwbxmlEncodes,
  commonForm,
  haveLibwbxml,
  wbxml2xml,
  xml2wbxml,
} from "../support/libwbxml.ts";
import { comparable, parse, readFixtures } from "./fixtures.ts";

const read = (await loadCore("wasm")).parseWbxml;

type Version = "1.1" | "1.2";

/** The messages to round-trip, typed, each in the versions it is tried in. */
function corpus(): { name: string; message: CspMessage; versions: Version[] }[] {
  const spec = readFixtures("csp11-spec-examples/xml/").map(({ name, bytes }) => ({
    name,
    message: decodeCsp(parse(bytes)),
    versions: ["1.1", "1.2"] as Version[],
  }));
  const baraza = readFixtures("baraza/")
    .filter((f) => f.bytes.length > 0 && !f.name.includes("decoded"))
    .flatMap(({ name, bytes }) => {
      try {
        const message = decodeCsp(parse(bytes));
        return message.version === "1.3" ? [] : [{ name, message, versions: [message.version] }];
      } catch {
        return []; // 070: not well-formed on purpose
      }
    });
  return [...spec, ...baraza as { name: string; message: CspMessage; versions: Version[] }[]];
}

const messages = haveLibwbxml ? corpus() : [];
const cases = messages.flatMap(({ name, message, versions }) =>
  versions.map((version) => ({ label: `${name} ${version}`, message: { ...message, version } }))
);

/** Runs `work` for every case, a few processes at a time; returns the failures. */
async function eachCase(
  work: (message: CspMessage & { version: Version }) => Promise<void>,
): Promise<string[]> {
  const failures: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const { label, message } = cases[next++];
      try {
        await work(message);
      } catch (e) {
        failures.push(`${label}: ${(e as Error).message.slice(0, 400)}`);
      }
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  return failures;
}

Deno.test({
  name: "our WBXML, decoded by libwbxml, is our XML: 1.1 and 1.2 messages of every element",
  ignore: !haveLibwbxml || messages.length === 0,
  async fn() {
    const failures = await eachCase(async (message) => {
      const theirs = parse(await wbxml2xml(encodeCspWbxml(message), message.version));
      deepStrictEqual(
        comparable(commonForm(theirs)),
        comparable(commonForm(parse(encodeCsp(message)))),
      );
    });
    deepStrictEqual(failures, []);
    ok(cases.length > 300, `${cases.length} messages`);
  },
});

Deno.test({
  name: "libwbxml's WBXML, decoded by us, is the message: 1.1 and 1.2 messages of every element",
  ignore: !haveLibwbxml || messages.length === 0,
  async fn() {
    let oneWay = 0;
    const failures = await eachCase(async (message) => {
      const xml = encodeCsp(message);
      let wbxml: Uint8Array;
      try {
        wbxml = await xml2wbxml(xml, message.version);
      } catch (e) {
        // libwbxml encodes CSP without a string table, so it cannot write an element name it
        // has no token for (a 1.3 capability in a 1.2 message, an unknown primitive).
        ok(/can't encode Literal/.test((e as Error).message), (e as Error).message);
        oneWay++;
        return;
      }
      deepStrictEqual(
        comparable(read(wbxml, DEFAULT_XML_LIMITS)),
        comparable(asLibwbxmlEncodes(parse(xml), message.version)),
      );
    });
    deepStrictEqual(failures, []);
    ok(oneWay < 10, `libwbxml could not encode ${oneWay} messages`);
  },
});
