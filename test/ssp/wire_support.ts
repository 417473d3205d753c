/**
 * A test peer on raw TCP for the SSP binding: reads HTTP messages off a connection byte for byte
 * and writes hand-made POSTs and answers, so the tests see exactly what the server sends.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { Buffer } from "node:buffer";
import { decodeSsp, type SspMessage } from "../../src/codec/ssp/mod.ts";
import { DEFAULT_XML_LIMITS } from "../../src/codec/xml/tree.ts";
import { HeadScan, loadCore } from "../../src/core/mod.ts";
import { readFixtureBytes } from "../support/baraza.ts";

const core = await loadCore("wasm");
const enc = new TextEncoder();
const dec = new TextDecoder();
export const NS = "http://www.openmobilealliance.org/DTD/WV-SSP1.3";

/** Reads HTTP messages (requests or answers) one after another from a raw connection. */
export class Wire {
  #buffer = new Uint8Array(0);
  constructor(readonly conn: Deno.Conn) {}

  async next(): Promise<{ scan: HeadScan; body: string }> {
    for (;;) {
      if (this.#buffer.length > 0) {
        const scan = core.scanHead(this.#buffer);
        if (scan.complete) {
          const body = dec.decode(scan.body);
          const copy = new HeadScan(this.#buffer.slice(), scan.fields.slice());
          this.#buffer = this.#buffer.slice(scan.end);
          return { scan: copy, body };
        }
        assert.ok(scan.incomplete, `malformed HTTP: ${scan.error}`);
      }
      const chunk = new Uint8Array(65536);
      const n = await this.conn.read(chunk);
      if (n === null) throw new Error("connection closed");
      const joined = new Uint8Array(this.#buffer.length + n);
      joined.set(this.#buffer);
      joined.set(chunk.subarray(0, n), this.#buffer.length);
      this.#buffer = joined;
    }
  }

  async write(text: string): Promise<void> {
    const bytes = enc.encode(text);
    let off = 0;
    while (off < bytes.length) off += await this.conn.write(bytes.subarray(off));
  }
}

export function post(
  body: string,
  headers: Record<string, string> = {},
  type = "application/vnd.wv.ssp+xml",
) {
  const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("");
  return `POST /ssp HTTP/1.1\r\nHost: s.test\r\nContent-Type: ${type}\r\n${extra}` +
    `Content-Length: ${enc.encode(body).length}\r\n\r\n${body}`;
}

export const setup = (mode: string, tid: string, inner: string) =>
  `<?xml version='1.0'?><WV-SSP-Message xmlns="${NS}"><SetupTransaction mode="${mode}" transactionID="${tid}">${inner}</SetupTransaction></WV-SSP-Message>`;
export const token = (t: string) =>
  `<SendSecretToken serviceID="wv:@w.test" protocol="WV-SSP" procotolVersion="1.3"><SecretToken>${t}</SecretToken></SendSecretToken>`;
export const login = (digest: string) =>
  `<LoginRequest serviceID="wv:@w.test" timeToLive="600"><PasswordDigest encoding="base64">${digest}</PasswordDigest></LoginRequest>`;
export const md5 = (s: string) => createHash("md5").update(Buffer.from(s)).digest("base64");

/** The server's next POST to us on connection 2, answered with the dummy 200. */
export async function received(wire: Wire): Promise<{ scan: HeadScan; body: string }> {
  const message = await wire.next();
  assert.ok(message.scan.isRequest);
  assert.equal(message.scan.method, "POST");
  assert.equal(message.scan.contentType, "application/vnd.wv.ssp+xml");
  assert.ok(message.scan.transactionIdValid, "x-wv-transactionid on every POST, in the grammar");
  await wire.write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  return message;
}

export interface PeerSession {
  /** Our connection to the server (connection 1) and the server's to us (connection 2). */
  out: Wire;
  in: Wire;
  /** The session id we issued: in every envelope and x-wv-sessionid we send. */
  sessionId: string;
}

/** Sets up an SSP session with the server at `serverPort` as domain w.test, the peer's way. */
export async function handshake(serverPort: number, listener: Deno.Listener): Promise<PeerSession> {
  const out = new Wire(await Deno.connect({ hostname: "127.0.0.1", port: serverPort }));
  await out.write(
    post(setup("Request", "H1", token("peer-token")), { "x-wv-transactionid": "H1" }),
  );
  assert.equal((await out.next()).scan.status, 200);
  const inbound = new Wire(await listener.accept());
  const theirs = (await received(inbound)).body.match(/<SecretToken>([^<]+)</)![1];
  await out.write(post(setup("Request", "H1", login(md5(theirs)))));
  assert.equal((await out.next()).scan.status, 200);
  const proof = await received(inbound);
  assert.equal(proof.body.match(/<PasswordDigest[^>]*>([^<]+)</)![1], md5("peer-token"));
  const sessionId = "w1";
  await out.write(post(setup(
    "Request",
    "H1",
    `<LoginResponse sessionID="${sessionId}" timeToLive="600"><Status code="200"/></LoginResponse>`,
  )));
  assert.equal((await out.next()).scan.status, 200);
  await received(inbound);
  return { out, in: inbound, sessionId };
}

/** POSTs one session transaction to the server; insists on the dummy 200. */
export async function sendInSession(
  peer: PeerSession,
  mode: "Request" | "Response",
  tid: string,
  primitive: string,
): Promise<void> {
  const body =
    `<?xml version='1.0'?><WV-SSP-Message xmlns="${NS}"><Session sessionID="${peer.sessionId}">` +
    `<Transaction mode="${mode}" transactionID="${tid}">${primitive}</Transaction></Session></WV-SSP-Message>`;
  await peer.out.write(post(body, { "x-wv-transactionid": tid, "x-wv-sessionid": peer.sessionId }));
  assert.equal((await peer.out.next()).scan.status, 200);
}

/** The SSP message inside a captured Baraza HTTP request (the answer after it is ignored). */
export async function capturedSsp(name: string): Promise<SspMessage> {
  const scan = core.scanHead(await readFixtureBytes(name));
  assert.ok(scan.complete && scan.isRequest, name);
  assert.equal(scan.contentType, "application/vnd.wv.ssp+xml");
  return decodeSsp(scan.body, core.parseXml, DEFAULT_XML_LIMITS);
}
