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
