import { deepStrictEqual, equal, ok } from "node:assert/strict";
import {
  HEAD_ERR_CONFLICTING_CONTENT_LENGTH,
  HEAD_ERR_CONTENT_LENGTH,
  HEAD_ERR_HEADER_NAME,
  HEAD_ERR_HEADER_VALUE,
  HEAD_ERR_OBS_FOLD,
  HEAD_ERR_START_LINE,
  HEAD_ERR_TOO_LARGE,
  HEAD_ERR_TRANSFER_ENCODING,
  type HeadScan,
  STATE_COMPLETE,
  STATE_INCOMPLETE,
  STATE_MALFORMED,
} from "../../src/core/http_head.ts";
import { loadCore } from "../../src/core/mod.ts";
import { fixtureFiles, latin1, pick, prng } from "./helpers.ts";

const ts = await loadCore("ts");
const wasm = await loadCore("wasm");

const fieldsOf = (scans: HeadScan[]) => scans.map((s) => Array.from(s.fields));

/** Both scanners give the same fields for every message of the stream; returns TS's scans. */
function agree(input: Uint8Array, label: string, start = 0, max?: number): HeadScan[] {
  const a = ts.scanHeads(input, start, max), b = wasm.scanHeads(input, start, max);
  deepStrictEqual(fieldsOf(b), fieldsOf(a), label);
  deepStrictEqual(
    Array.from(wasm.scanHead(input, start, max).fields),
    Array.from(ts.scanHead(input, start, max).fields),
    label,
  );
  return a;
}

const captures = fixtureFiles("baraza", ".http");

Deno.test("Baraza SSP captures: request and reply, one by one and pipelined", () => {
  const all: number[] = [];
  let messages = 0;
  for (const { name, bytes } of captures) {
    const scans = agree(bytes, name);
    ok(scans.every((s) => s.complete), name);
    equal(scans.at(-1)!.end, bytes.length, name);
    const request = scans[0];
    equal(request.method, "POST");
    equal(request.contentType, "application/vnd.wv.ssp+xml");
    equal(request.body.length, request.contentLength);
    if (scans[1]) deepStrictEqual([scans[1].status, scans[1].contentLength], [200, 0]);
    messages += scans.length;
    all.push(...bytes);
  }
  if (captures.length === 0) return;
  const stream = Uint8Array.from(all);
  const scans = agree(stream, "all captures pipelined");
  equal(scans.length, messages);
  ok(scans.every((s) => s.complete));
  // Every cut of the stream: complete messages, then "need more bytes", never a wrong answer.
  for (let cut = 0; cut < stream.length; cut += 7) {
    const partial = agree(stream.subarray(0, cut), `cut at ${cut}`);
    for (const [i, s] of partial.entries()) {
      if (s.complete) deepStrictEqual(Array.from(s.fields), Array.from(scans[i].fields));
      else equal(s.state, STATE_INCOMPLETE, `cut at ${cut}`);
    }
  }
});

Deno.test("SSP headers: values, case-insensitive names, and the x-wv alphabet", () => {
  const input = latin1(
    "POST /ssp HTTP/1.1\r\nX-WV-TransactionID: 0000000001_0\r\nx-wv-SESSIONID:  1@a.test \r\n" +
      "connection: Close\r\nConnection: keep-alive\r\nLOCATION: http://b.test/\r\n" +
      "Content-Type: application/vnd.wv.ssp+xml\r\ncontent-length: 3\r\n\r\nabc" +
      "HTTP/1.1 204 No Content\nConnection: close, TE\n\n",
  );
  for (const core of [ts, wasm]) {
    const [request, reply] = core.scanHeads(input);
    deepStrictEqual(
      [request.method, request.target, request.transactionId, request.transactionIdValid],
      ["POST", "/ssp", "0000000001_0", true],
    );
    deepStrictEqual([request.sessionId, request.sessionIdValid], ["1@a.test", false]);
    deepStrictEqual([request.connection, request.connectionClose, request.keepAlive], [
      "Close",
      true,
      true,
    ]);
    deepStrictEqual([request.location, request.contentType], [
      "http://b.test/",
      "application/vnd.wv.ssp+xml",
    ]);
    equal(new TextDecoder().decode(request.body), "abc");
    deepStrictEqual([reply.isRequest, reply.status, reply.contentLength, reply.end], [
      false,
      204,
      -1,
      input.length,
    ]);
    deepStrictEqual([reply.connectionClose, reply.keepAlive], [true, false]);
  }
});

/** [head, error code, offset] */
const MALFORMED: [string, number, number][] = [
  ["GET\r\n\r\n", HEAD_ERR_START_LINE, 0],
  ["GET / HTTP/2\r\n\r\n", HEAD_ERR_START_LINE, 0],
  ["HTTP/1.1 20 OK\r\n\r\n", HEAD_ERR_START_LINE, 0],
  ["GET / HTTP/1.1\r\n folded\r\n\r\n", HEAD_ERR_OBS_FOLD, 16],
  ["GET / HTTP/1.1\r\nBad Name: x\r\n\r\n", HEAD_ERR_HEADER_NAME, 19],
  ["GET / HTTP/1.1\r\nA: x\u0001y\r\n\r\n", HEAD_ERR_HEADER_VALUE, 20],
  ["GET / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n", HEAD_ERR_CONTENT_LENGTH, 33],
  ["GET / HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n", HEAD_ERR_CONTENT_LENGTH, 41],
  [
    "GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
    HEAD_ERR_CONFLICTING_CONTENT_LENGTH,
    35,
  ],
  ["GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", HEAD_ERR_TRANSFER_ENCODING, 16],
];

Deno.test("malformed heads: same error and offset from both", () => {
  for (const [head, code, offset] of MALFORMED) {
    for (const core of [ts, wasm]) {
      const scan = core.scanHead(latin1(head));
      deepStrictEqual([scan.state, scan.fields[1], scan.errorOffset], [
        STATE_MALFORMED,
        code,
        offset,
      ], `${core.kind}: ${JSON.stringify(head)}`);
    }
  }
  const long = latin1("GET / HTTP/1.1\r\nA: " + "x".repeat(100));
  for (const core of [ts, wasm]) {
    equal(core.scanHead(long, 0, 200).state, STATE_INCOMPLETE);
    deepStrictEqual([core.scanHead(long, 0, 64).state, core.scanHead(long, 0, 64).fields[1]], [
      STATE_MALFORMED,
      HEAD_ERR_TOO_LARGE,
    ]);
  }
});

const HEADER_NAMES = [
  "Content-Length",
  "content-type",
  "CONNECTION",
  "Location",
  "x-wv-transactionid",
  "X-WV-SessionID",
  "Host",
  "User-Agent",
  "Transfer-Encoding",
];
const VALUES = ["1", "0", "12", "abc_1", "1@a.test", "close", "keep-alive, x", "", " \t", "a b"];

function generateMessage(random: () => number): string {
  const eol = random() < 0.9 ? "\r\n" : "\n";
  let head = random() < 0.5 ? `POST /${Math.floor(random() * 99)} HTTP/1.1` : "HTTP/1.1 200 OK";
  let length = 0;
  for (let i = Math.floor(random() * 7); i > 0; i--) {
    const name = pick(random, HEADER_NAMES);
    if (name === "Transfer-Encoding" && random() < 0.8) continue;
    let value = pick(random, VALUES);
    if (name === "Content-Length") length = Number(value = String(Math.floor(random() * 20)));
    head += `${eol}${name}:${random() < 0.7 ? " " : ""}${value}`;
  }
  return `${head}${eol}${eol}${"b".repeat(length)}`;
}

Deno.test("6000 generated and mutated pipelines: identical fields; no crash", () => {
  const random = prng(0x5eed);
  for (let i = 0; i < 6000; i++) {
    let stream = "";
    for (let m = 1 + Math.floor(random() * 4); m > 0; m--) stream += generateMessage(random);
    const bytes = latin1(stream);
    if (i % 2 === 1) {
      for (let k = 1 + Math.floor(random() * 3); k > 0; k--) {
        bytes[Math.floor(random() * bytes.length)] = pick(random, [0, 10, 13, 32, 58, 0x41, 0xff]);
      }
    }
    const start = random() < 0.2 ? Math.floor(random() * bytes.length) : 0;
    const max = random() < 0.2 ? Math.floor(random() * 60) : undefined;
    const scans = agree(bytes.subarray(0, Math.floor(random() * (bytes.length + 1))), `#${i}`);
    agree(bytes, `#${i} whole`, start, max);
    ok(scans.every((s) => s.state !== STATE_COMPLETE || s.end > s.start));
  }
});

const request = (i: number, body = "x".repeat(i % 7)) =>
  `POST /${i} HTTP/1.1\r\nx-wv-transactionid: t${i}\r\nContent-Length: ${body.length}\r\n\r\n${body}`;

Deno.test("long pipelines: more messages than one WASM call or one result chunk holds", () => {
  // The WASM scanner reports 64 messages per call and results come in chunks of 256 scans.
  for (const count of [63, 64, 65, 128, 129, 300, 600]) {
    const stream = latin1(Array.from({ length: count }, (_, i) => request(i)).join(""));
    const scans = agree(stream, `${count} messages`);
    equal(scans.length, count);
    ok(scans.every((s, i) => s.complete && s.transactionId === `t${i}`));
    equal(scans.at(-1)!.end, stream.length);
    for (const cut of [1, 30, stream.length - scans[count - 1].start]) {
      agree(stream.subarray(0, stream.length - cut), `${count} messages, ${cut} bytes short`);
    }
    agree(stream, `${count} messages from the second`, scans[1].start);
  }
  // A malformed message right after a call's worth, and right at the end of one.
  for (const bad of [63, 64, 65]) {
    const messages = Array.from({ length: 100 }, (_, i) => i === bad ? "GET\r\n\r\n" : request(i));
    const scans = agree(latin1(messages.join("")), `malformed #${bad}`);
    deepStrictEqual([scans.length, scans[bad].state], [bad + 1, STATE_MALFORMED]);
  }
});

Deno.test("scans stay valid after later scans", () => {
  for (const core of [ts, wasm]) {
    const first = latin1(request(1, "abc"));
    const kept = [core.scanHead(first), ...core.scanHeads(first)];
    const expected = kept.map((s) => Array.from(s.fields));
    for (let i = 0; i < 1000; i++) {
      core.scanHead(latin1(request(i)));
      if (i % 100 === 0) core.scanHeads(latin1(request(i) + request(i + 1)));
    }
    deepStrictEqual(kept.map((s) => Array.from(s.fields)), expected, core.kind);
    deepStrictEqual(kept.map((s) => [s.transactionId, s.contentLength]), [["t1", 3], ["t1", 3]]);
  }
});

Deno.test("one message: bytes past start + maxHeadBytes are never read, offsets stay exact", () => {
  // Leave line feeds in the WASM input buffer beyond the head window of the next scan.
  wasm.scanHeads(latin1("\n".repeat(4096)));
  const head = latin1("GET / HTTP/1.1\r\nA: " + "x".repeat(100) + "\r\n\r\n");
  for (const max of [16, 20, 31, 40, 119, 120, 121, 124]) agree(head, `max ${max}`, 0, max);
  const withBody = latin1(request(0, "b".repeat(100_000)) + request(1));
  agree(withBody, "a large body", 0);
  agree(withBody, "after a large body", withBody.length - request(1).length);
  // Offsets near 2^31, from a start past 0: clamped as TS clamps them.
  const huge = latin1("xx" + "POST / HTTP/1.1\r\nContent-Length: 2147483600\r\n\r\n");
  const [scan] = agree(huge, "Content-Length near 2^31", 2, 0x7fffffff);
  deepStrictEqual([scan.state, scan.end], [STATE_INCOMPLETE, 0x7fffffff]);
});

Deno.test("every byte value at every position of a method and of header names", () => {
  const names = [...HEADER_NAMES, "X-WV-TransactionID-", "a".repeat(40)];
  for (let b = 0; b < 256; b++) {
    const c = String.fromCharCode(b);
    for (let i = 0; i < 6; i++) agree(latin1(`${"OPTION".slice(0, i)}${c} / HTTP/1.1\r\n\r\n`), "");
    for (const name of names) {
      for (let i = 0; i < name.length; i++) {
        const changed = name.slice(0, i) + c + name.slice(i + 1);
        agree(latin1(`GET / HTTP/1.1\r\n${changed}: 1\r\n\r\n`), JSON.stringify(changed));
      }
    }
  }
});
