/**
 * `deno run -A scripts/bench_sms.ts`: the SMS binding against XML on the same messages (Baraza's
 * captures, a real client's session): how many bytes and how many SMS a message takes, and how
 * long reading and writing take, as ratios against XML measured in the same run. Medians of
 * RUNS runs. Needs the shared fixtures beside the checkout.
 */
import { decodeCsp, encodeCsp } from "../src/codec/csp/envelope.ts";
import type { CspMessage } from "../src/codec/csp/message.ts";
import { decodePts, encodePts, splitPts, TEXT_SMS } from "../src/codec/sms/mod.ts";
import { parseXmlFxp } from "../test/support/xml_fxp.ts";
import { DEFAULT_XML_LIMITS } from "../src/codec/xml/tree.ts";
import { loadCore } from "../src/core/mod.ts";

const RUNS = 7;
const ROUNDS = 200;
const FIXTURES = new URL("../../shared/fixtures/baraza/", import.meta.url);

const core = await loadCore("wasm");
const files = [...Deno.readDirSync(FIXTURES)]
  .filter((e) => e.name.endsWith(".xml") && !/^(068|070)-/.test(e.name))
  .map((e) => Deno.readFileSync(new URL(e.name, FIXTURES)))
  .filter((bytes) => bytes.length > 0);
const messages: CspMessage[] = files.map((bytes) => {
  const message = decodeCsp(parseXmlFxp(bytes, DEFAULT_XML_LIMITS));
  message.transactions.forEach((tx, i) => tx.transactionId = String(i + 1));
  return message;
});
const xmlTexts = messages.map((m) => new TextEncoder().encode(encodeCsp(m)));
const ptsTexts = messages.flatMap((m) => encodePts(m));

const xmlBytes = xmlTexts.reduce((n, x) => n + x.length, 0);
const ptsBytes = ptsTexts.reduce((n, p) => n + new TextEncoder().encode(p).length, 0);
const smsCount = (texts: string[]) =>
  texts.reduce((n, t) => n + (splitPts(t, TEXT_SMS)?.length ?? 26), 0);
const xmlSms = (bytes: number) => Math.ceil(bytes / 140);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** ns per message of `a` and of `b`, and b's speed-up over a: medians of runs taken in turns
 * (the machine is shared: a run of each side by turns sees the same load). */
function compare(a: () => void, b: () => void): [number, number, number] {
  const as: number[] = [];
  const bs: number[] = [];
  const ratios: number[] = [];
  const once = (fn: () => void) => {
    const start = performance.now();
    for (let i = 0; i < ROUNDS; i++) fn();
    return ((performance.now() - start) * 1e6) / (ROUNDS * messages.length);
  };
  for (let r = 0; r < RUNS; r++) {
    const ta = once(a);
    const tb = once(b);
    as.push(ta);
    bs.push(tb);
    ratios.push(ta / tb);
  }
  return [median(as), median(bs), median(ratios)];
}

const [readXml, readPts, readRatio] = compare(
  () => {
    for (const x of xmlTexts) decodeCsp(core.parseXml(x, DEFAULT_XML_LIMITS));
  },
  () => {
    for (const p of ptsTexts) decodeCsp(decodePts(p));
  },
);
const [writeXml, writePts, writeRatio] = compare(
  () => {
    for (const m of messages) encodeCsp(m);
  },
  () => {
    for (const m of messages) encodePts(m);
  },
);

console.log(`${messages.length} messages (Baraza's captures), medians of ${RUNS} runs`);
console.log(
  `size: XML ${xmlBytes} bytes, PTS ${ptsBytes} bytes: ${(xmlBytes / ptsBytes).toFixed(2)}x ` +
    `smaller; ${smsCount(ptsTexts)} text SMS for PTS against ${
      xmlTexts.reduce((n, x) => n + xmlSms(x.length), 0)
    } 8-bit SMS for the XML`,
);
console.log(
  `read (tree + decodeCsp): XML via the WASM core ${readXml.toFixed(0)} ns/msg, ` +
    `PTS ${readPts.toFixed(0)} ns/msg (PTS ${readRatio.toFixed(2)}x as fast)`,
);
console.log(
  `write: XML ${writeXml.toFixed(0)} ns/msg, PTS ${writePts.toFixed(0)} ns/msg ` +
    `(PTS ${writeRatio.toFixed(2)}x as fast)`,
);
