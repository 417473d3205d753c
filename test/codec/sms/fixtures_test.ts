/**
 * Every CSP 1.1 spec example and every Baraza capture, read from XML, written in the SMS binding
 * and read back, is the same message, but for what PTS has no place for (attributes, flags,
 * extension blocks, a presence attribute's per-client ClientID).
 */
import { deepStrictEqual, ok, throws } from "node:assert/strict";
import { decodeCsp } from "../../../src/codec/csp/envelope.ts";
import type { CspMessage, ElementObject, ElementValue } from "../../../src/codec/csp/message.ts";
import { decodePts, encodePts, PtsEncodeError } from "../../../src/codec/sms/mod.ts";
import { haveShared, parse, readFixtures } from "../fixtures.ts";

/** Baraza request files that are deliberately not well-formed (README: 070). */
const NOT_WELL_FORMED = "070-error-not-wellformed.request.xml";
/** A made-up primitive: no transaction code to write it with. */
const UNKNOWN_PRIMITIVE = "068-error-unknown-primitive.request.xml";

const PRESENCE_ATTRIBUTES = new Set([
  "OnlineStatus",
  "Registration",
  "ClientInfo",
  "TimeZone",
  "GeoLocation",
  "Address",
  "FreeTextLocation",
  "PLMN",
  "CommCap",
]);

/** What PTS carries of a value: no attributes, no text beside children. */
function normal(value: ElementValue, parent = ""): ElementValue {
  if (typeof value !== "object") return value;
  const out: ElementObject = {};
  const keys = Object.keys(value).filter((k) => k !== "@attrs" && k !== "#text");
  if (keys.length === 0) return value["#text"] ?? "";
  for (const key of keys) {
    if (key === "ClientID" && PRESENCE_ATTRIBUTES.has(parent)) continue;
    const v = value[key]!;
    out[key] = Array.isArray(v) ? v.map((x) => normal(x, key)) : normal(v, key);
  }
  return out;
}

/** Scalars as the text they were written as (PTS, like XML, is text: `T`, `600`). */
function textual(value: ElementValue): ElementValue {
  if (typeof value === "number") return String(value);
  if (typeof value === "boolean") return value ? "T" : "F";
  if (typeof value === "string") return value;
  const out: ElementObject = {};
  for (const [k, v] of Object.entries(value)) {
    if (v !== undefined) out[k] = Array.isArray(v) ? v.map(textual) : textual(v);
  }
  return out;
}

/** The mode is left out: PTS cannot say it, the reader infers it from the primitive (a client
 * acknowledging with MessageDelivered sends a request, which the server takes alike). */
function comparableMessage(message: CspMessage) {
  return message.transactions.map((tx) => ({
    version: message.version,
    session: message.sessionType === "Inband" ? message.sessionId : undefined,

    id: tx.transactionId,
    name: tx.primitive.name,
    body: textual(normal(tx.primitive.body)),
  }));
}

function roundTrip(xml: Uint8Array): void {
  const message = decodeCsp(parse(xml));
  // The transport maps transaction ids onto 0-999 before writing (see transport/sms).
  message.transactions.forEach((tx, i) => tx.transactionId = String(i));
  const again = encodePts(message).flatMap((pts) => comparableMessage(decodeCsp(decodePts(pts))));
  const expected = comparableMessage(message).map((t) =>
    t.name.startsWith("WV-CSP-VersionDiscovery") ? { ...t, version: "1.2" as const } : t
  );
  deepStrictEqual(again, expected);
}

function roundTripAll(dir: string, skip = new Set<string>()): number {
  const fixtures = readFixtures(dir).filter((f) => f.bytes.length > 0 && !skip.has(f.name));
  const failures: string[] = [];
  for (const fixture of fixtures) {
    try {
      roundTrip(fixture.bytes);
    } catch (e) {
      failures.push(`${fixture.name}: ${e instanceof Error ? e.message.slice(0, 1500) : e}`);
    }
  }
  deepStrictEqual(failures, []);
  return fixtures.length;
}

Deno.test({
  name: "the 116 CSP 1.1 spec examples survive the SMS binding",
  ignore: !haveShared,
  fn() {
    ok(roundTripAll("csp11-spec-examples/xml/") === 116);
  },
});

Deno.test({
  name: "Baraza's captures survive the SMS binding",
  ignore: !haveShared,
  fn() {
    ok(roundTripAll("baraza/", new Set([NOT_WELL_FORMED, UNKNOWN_PRIMITIVE])) > 150);
    const [unknown] = readFixtures("baraza/").filter((f) => f.name === UNKNOWN_PRIMITIVE);
    throws(() => encodePts(decodeCsp(parse(unknown.bytes))), PtsEncodeError);
  },
});
