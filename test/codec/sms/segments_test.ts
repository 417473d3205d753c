/** Long PTS messages over several SMS: splitting, and putting the parts back together. */
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import {
  DATA_SMS,
  SegmentAssembler,
  smsLength,
  splitPts,
  TEXT_SMS,
} from "../../../src/codec/sms/mod.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const bytes = (text: string) => encoder.encode(text);

const LONG = "WV12SM7 SI=5f0c3e7a9b1d4e2f8a6c0b3d5e7f9a1c MI=((CY,text/plain),(RE,((UI,wv:bob@" +
  'example.com)))) CD="' + "Il était une fois, un message bien trop long pour un SMS. ".repeat(6) +
  '"';

function assembler(now = { t: 0 }) {
  return new SegmentAssembler({ timeoutMs: 60_000, perSender: 2, total: 10, now: () => now.t });
}

Deno.test("a short message is one SMS, unchanged", () => {
  deepStrictEqual(splitPts("WV12PO7 SI=abc", TEXT_SMS), ["WV12PO7 SI=abc"]);
});

Deno.test("a long one is split as AOSP's SmsSplitter marks parts: preamble, index, last", () => {
  const parts = splitPts(LONG, TEXT_SMS)!;
  ok(parts.length > 2);
  const last = String.fromCharCode(96 + parts.length);
  parts.forEach((part, i) => {
    ok(part.startsWith(`WV12SM7${String.fromCharCode(97 + i)}${last} `), part);
    const { length, limit } = smsLength(part, TEXT_SMS);
    ok(length <= limit, `${length} > ${limit}`);
  });
  equal(parts.map((p) => p.slice(10)).join(""), LONG.slice(8));
});

Deno.test("8-bit parts are counted in UTF-8 bytes; text with a non-GSM character in UCS-2", () => {
  for (const part of splitPts(LONG, DATA_SMS)!) ok(bytes(part).length <= 133);
  const greek = `WV12SM7 CD="${"Ωμέγα ".repeat(40)}"`;
  for (const part of splitPts(greek, TEXT_SMS)!) ok([...part].length <= 70);
});

Deno.test("more than 26 parts cannot be sent", () => {
  equal(splitPts(`WV12SM7 CD=${"x".repeat(26 * 150)}`, TEXT_SMS), undefined);
  ok(splitPts(`WV12SM7 CD=${"x".repeat(26 * 140)}`, TEXT_SMS));
});

Deno.test("parts out of order and twice are put back once, whole", () => {
  const parts = splitPts(LONG, DATA_SMS)!.map(bytes);
  const a = assembler();
  const shuffled = [parts[2], parts[0], parts[2], ...parts.slice(3).reverse()];
  for (const part of shuffled) equal(a.add("+4470001", part).kind, "part");
  const whole = a.add("+4470001", parts[1]);
  equal(whole.kind, "whole");
  equal(decoder.decode((whole as { bytes: Uint8Array }).bytes), LONG);
  equal(a.inProgress, 0);
});

Deno.test("8-bit parts cut inside a UTF-8 character come back whole (AOSP cuts bytes)", () => {
  const body = bytes(LONG).subarray(8);
  // Between the two bytes of the first "é".
  const cut = body.findIndex((b) => b >= 0x80) + 1;
  const a = assembler();
  const part = (marker: string, chunk: Uint8Array) =>
    new Uint8Array([...bytes(`WV12SM7${marker} `), ...chunk]);
  equal(a.add("+1", part("ab", body.subarray(0, cut))).kind, "part");
  const whole = a.add("+1", part("bb", body.subarray(cut)));
  equal(decoder.decode((whole as { bytes: Uint8Array }).bytes), LONG);
});

Deno.test("the same transaction from two phones is two messages", () => {
  const parts = splitPts(LONG, TEXT_SMS)!.map(bytes);
  const a = assembler();
  for (const part of parts.slice(1)) {
    a.add("+1", part);
    a.add("+2", part);
  }
  equal(a.add("+1", parts[0]).kind, "whole");
  equal(a.add("+2", parts[0]).kind, "whole");
});

Deno.test("a message missing a part is given up when its time runs out, and said so", () => {
  const clock = { t: 0 };
  const a = assembler(clock);
  const parts = splitPts(LONG, TEXT_SMS)!.map(bytes);
  a.add("+1", parts[0], "data");
  clock.t = 59_999;
  deepStrictEqual(a.expire(), []);
  clock.t = 60_000;
  deepStrictEqual(a.expire(), [{
    sender: "+1",
    preamble: "WV12SM7",
    received: 1,
    parts: parts.length,
    tag: "data",
  }]);
  equal(a.inProgress, 0);
});

Deno.test("what is not a part, or cannot be one, is told apart and never kept", () => {
  const a = assembler();
  equal(a.add("+1", bytes("hello")).kind, "not-pts");
  equal(a.add("+1", Uint8Array.of(0xff, 0xfe, 0x20, 0x00)).kind, "not-pts");
  equal(a.add("+1", bytes("WV12PO7 SI=abc")).kind, "whole");
  equal(a.add("+1", bytes("WV12SM7cb CD=x")).kind, "refused");
  equal(a.add("+1", bytes("WV12SM7aa CD=x")).kind, "refused");
  equal(a.add("+1", bytes("WV12SM7ab")).kind, "refused");
  // Two long messages in progress per sender at most.
  equal(a.add("+1", bytes("WV12SM1ac x")).kind, "part");
  equal(a.add("+1", bytes("WV12SM2ac x")).kind, "part");
  equal(a.add("+1", bytes("WV12SM3ac x")).kind, "refused");
  equal(a.add("+2", bytes("WV12SM3ac x")).kind, "part");
  equal(a.inProgress, 3);
  // A part announcing another count starts the message over.
  equal(a.add("+2", bytes("WV12SM3ab x")).kind, "part");
  equal(a.inProgress, 3);
});
