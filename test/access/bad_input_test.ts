/** Hostile and broken requests: each gets a clear 4xx or CSP status, never a 5xx. */
import assert from "node:assert/strict";
import { encodeWbxmlTree } from "../../src/codec/wbxml/mod.ts";
import { parse } from "../codec/fixtures.ts";
import { NS, startServer } from "../support/harness.ts";

const TYPE = NS["1.2"].type;

Deno.test("broken bodies get HTTP 400, a wrong content type 415, an oversized body 413", async () => {
  await using h = await startServer({ env: { IMPS_MAX_BODY: "4096" } });
  const guest = h.client("guest", "1.2");
  const login = guest.envelope(
    "<Login-Request><UserID>a</UserID><Password>p</Password></Login-Request>",
    { transactionId: "t1", outband: true },
  );
  const cases: [string, string | Uint8Array<ArrayBuffer>, string, number][] = [
    ["not XML", "hello, server", TYPE, 400],
    ["binary garbage", new Uint8Array([0, 1, 2, 255, 254, 60, 62]), TYPE, 400],
    ["truncated XML", login.slice(0, login.length / 2), TYPE, 400],
    ["mismatched tags", "<WV-CSP-Message><Session></Sessio></WV-CSP-Message>", TYPE, 400],
    ["wrong content type", login, "text/plain", 415],
    ["XML labelled WBXML", new TextEncoder().encode(login), "application/vnd.wv.csp.wbxml", 400],
    ["WBXML labelled XML", new Uint8Array([3, 0x11, 0x6a, 0, 0x49, 1]), TYPE, 400],
    ["oversized", `${login}${" ".repeat(5000)}`, TYPE, 413],
    ["deep nesting", `${"<a>".repeat(200)}${"</a>".repeat(200)}`, TYPE, 400],
    [
      "billion laughs",
      `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>` +
      `<WV-CSP-Message xmlns="${NS["1.2"].csp}">&lol2;</WV-CSP-Message>`,
      TYPE,
      400,
    ],
    [
      "external entity",
      `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><x>&xxe;</x>`,
      TYPE,
      400,
    ],
    [
      "undefined entity",
      `<WV-CSP-Message xmlns="${NS["1.2"].csp}">&nope;</WV-CSP-Message>`,
      TYPE,
      400,
    ],
    ["not a CSP root", "<html><body/></html>", TYPE, 400],
    ["control character in a value", login.replace("<UserID>a", "<UserID>a\u0001"), TYPE, 400],
    ["invalid UTF-8 in a value", withBytesAfter(login, "<UserID>a", [0xc3, 0x28]), TYPE, 400],
  ];
  for (const [what, body, type, expected] of cases) {
    const reply = await guest.post(body, type);
    assert.equal(reply.http.status, expected, `${what}: got ${reply.http.status} ${reply.text}`);
  }
});

Deno.test("over HTTP, an oversized body gets 413 whether its length is declared or streamed", async () => {
  await using h = await startServer({ env: { IMPS_MAX_BODY: "4096" } });
  await using http = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    h.server.app.fetch,
  );
  const post = (body: BodyInit) =>
    fetch(`http://127.0.0.1:${http.addr.port}/csp`, {
      method: "POST",
      body,
      headers: { "content-type": TYPE },
    });
  const login = new TextEncoder().encode(
    h.client("guest", "1.2").envelope(
      "<Login-Request><UserID>a</UserID><Password>p</Password></Login-Request>",
      { transactionId: "t1", outband: true },
    ),
  );
  const oversized = new Uint8Array(login.length + 5000).fill(0x20);
  oversized.set(login);

  const declared = await post(oversized);
  assert.equal(declared.status, 413, "Content-Length over the limit");
  await declared.body?.cancel();
  // No Content-Length: the body arrives chunked and is counted as it comes.
  const streamed = await post(ReadableStream.from([oversized]));
  assert.equal(streamed.status, 413, "a chunked body over the limit");
  await streamed.body?.cancel();
  const within = await post(ReadableStream.from([login]));
  assert.equal(within.status, 200, "a chunked body within the limit is read");
  await within.body?.cancel();
});

Deno.test("a well-formed message with a broken envelope gets a CSP Status", async () => {
  await using h = await startServer();
  await h.addUser("alice", "secret");
  const alice = h.client("alice", "1.2");
  await alice.login("secret");

  const noTransactionId = await alice.post(
    alice.envelope("<KeepAlive-Request/>", { transactionId: "x" }).replace(
      "<TransactionID>x</TransactionID>",
      "",
    ),
  );
  assert.equal(noTransactionId.http.status, 200);
  assert.equal(noTransactionId.primitive.name, "Status");
  assert.equal(noTransactionId.code, 400);

  const wrongNamespace = await alice.post(
    alice.envelope("<KeepAlive-Request/>", { transactionId: "x" }).replace(
      NS["1.2"].csp,
      "urn:nobody",
    ),
  );
  assert.equal(wrongNamespace.http.status, 400, "not CSP at all");

  const futureVersion = await alice.post(
    alice.envelope("<KeepAlive-Request/>", { transactionId: "x" }).replace(
      NS["1.2"].csp,
      "http://www.openmobilealliance.org/DTD/IMPS-CSP1.9",
    ),
  );
  assert.equal(futureVersion.http.status, 200);
  assert.equal(futureVersion.code, 505);
});

Deno.test("an unknown primitive gets Status 400, a known unimplemented one 405", async () => {
  await using h = await startServer();
  await h.addUser("alice", "secret");
  const alice = h.client("alice", "1.2");

  assert.equal((await alice.send("<Foo-Request/>", { outband: true })).code, 604, "no session yet");
  await alice.login("secret");
  const unknown = await alice.send("<Foo-Request><Bar>1</Bar></Foo-Request>");
  assert.equal(unknown.primitive.name, "Status");
  assert.equal(unknown.code, 400);
  // GetMap (1.3 location maps) is a CSP primitive this server does not offer.
  const unimplemented = await alice.send(
    "<GetMap-Request><UserID>wv:x@example.com</UserID></GetMap-Request>",
  );
  assert.equal(unimplemented.code, 405);
});

Deno.test("too many transactions in one message are refused", async () => {
  await using h = await startServer();
  await h.addUser("alice", "secret");
  const alice = h.client("alice", "1.2");
  await alice.login("secret");
  const one = `<Transaction><TransactionDescriptor><TransactionMode>Request</TransactionMode>` +
    `<TransactionID>k</TransactionID></TransactionDescriptor><TransactionContent xmlns="${
      NS["1.2"].trc
    }">` +
    `<KeepAlive-Request/></TransactionContent></Transaction>`;
  const message = `<WV-CSP-Message xmlns="${NS["1.2"].csp}"><Session><SessionDescriptor>` +
    `<SessionType>Inband</SessionType><SessionID>${alice.sessionId}</SessionID></SessionDescriptor>` +
    `${one.repeat(17)}</Session></WV-CSP-Message>`;

  const reply = await alice.post(message);

  assert.equal(reply.code, 400);
  const two = message.replace(one.repeat(17), one.repeat(2));
  assert.equal((await alice.post(two)).message!.transactions.length, 2, "two are fine");
});

/** `text` as UTF-8 with raw `bytes` spliced in after the first `marker`. */
function withBytesAfter(text: string, marker: string, bytes: number[]): Uint8Array<ArrayBuffer> {
  const cut = text.indexOf(marker) + marker.length;
  const enc = new TextEncoder();
  return Uint8Array.from([
    ...enc.encode(text.slice(0, cut)),
    ...bytes,
    ...enc.encode(text.slice(cut)),
  ]);
}

Deno.test("broken WBXML gets HTTP 400 saying what is wrong and where, at once", async () => {
  await using h = await startServer();
  const guest = h.client("guest", "1.2", "wbxml");
  const valid = [...encodeWbxmlTree(
    parse(guest.envelope("<GetSPInfo-Request/>", { transactionId: "t1", outband: true })),
    "1.2",
  )];
  const header = [0x03, 0x11, 0x6a, 0x00];
  const cases: [string, number[], RegExp][] = [
    ["truncated", valid.slice(0, valid.length - 3), /unclosed element/],
    ["mb_u_int32 over 5 bytes", [0x03, 0x81, 0x81, 0x81, 0x81, 0x81, 0x01], /longer than 5 bytes/],
    ["mb_u_int32 past 32 bits", [0x03, 0x9f, 0xff, 0xff, 0xff, 0x7f], /larger than 32 bits/],
    ["string table past the end", [0x03, 0x11, 0x6a, 0x7f, 0x49, 0x01], /string table longer/],
    ["table offset out of range", [...header, 0x49, 0x83, 0x05, 0x01], /reference out of range/],
    ["unterminated string", [...header, 0x49, 0x03, 0x41, 0x42], /unterminated string/],
    ["unknown code page", [...header, 0x49, 0x00, 0x42, 0x05, 0x01], /code page 0x42/],
    ["END without a start", [...header, 0x49, 0x01, 0x01], /END without a start/],
    ["nested too deep", [...header, ...new Array(60).fill(0x6d)], /deeper than maxDepth/],
    ["OPAQUE past the end", [...header, 0x49, 0xc3, 0x7f, 0x00, 0x01], /OPAQUE data runs past/],
    ["invalid UTF-8", [...header, 0x49, 0x03, 0xc3, 0x28, 0x00, 0x01], /not valid UTF-8/],
    ["nothing at all", [], /unexpected end/],
  ];
  for (const [what, bytes, reason] of cases) {
    const start = performance.now();
    const reply = await guest.post(Uint8Array.from(bytes), "application/vnd.wv.csp.wbxml");
    assert.equal(reply.http.status, 400, `${what}: got ${reply.http.status} ${reply.text}`);
    assert.match(reply.text, /^Malformed WBXML at byte \d+: /, what);
    assert.match(reply.text, reason, what);
    assert.ok(performance.now() - start < 1_000, `${what} took too long`);
  }
  // The unbroken request is answered, in WBXML.
  const answer = await guest.post(Uint8Array.from(valid), "application/vnd.wv.csp.wbxml");
  assert.equal(answer.primitive.name, "GetSPInfo-Response");
});

Deno.test("identifiers past the store's key and value limits get the spec's status, not 500", async () => {
  await using h = await startServer({ env: { IMPS_MAX_BODY: "262144" } });
  await h.addUser("alice", "secret");
  const alice = h.client("alice", "1.2");
  const long = (n: number) => "a".repeat(n);

  alice.sessionId = long(2_100);
  const noSession = await alice.send("<KeepAlive-Request/>");
  assert.equal(noSession.http.status, 200);
  assert.equal(noSession.code, 604, "a SessionID no session can have");
  alice.sessionId = undefined;

  assert.equal((await alice.login("secret")).code, 200);
  const bigUrl = await alice.send(
    `<Login-Request><UserID>${alice.userId}</UserID><ClientID><URL>${long(70_000)}</URL>` +
      `</ClientID><Password>secret</Password></Login-Request>`,
    { outband: true },
  );
  assert.equal(bigUrl.code, 402, "a ClientID URL of 70,000 characters");
  const bigCookie = await alice.send(
    `<Login-Request><UserID>${alice.userId}</UserID><ClientID><URL>http://c</URL></ClientID>` +
      `<Password>secret</Password><SessionCookie>${long(70_000)}</SessionCookie></Login-Request>`,
    { outband: true },
  );
  assert.equal(bigCookie.code, 402, "a SessionCookie of 70,000 characters");

  const search = await alice.send(
    `<Search-Request><SearchID>${long(2_000)}</SearchID><SearchIndex>1</SearchIndex>` +
      `</Search-Request>`,
  );
  assert.equal(search.code, 424, "a SearchID no search can have");
  assert.match(search.message!.transactions[0].transactionId ?? "", /^alice-/);
  const wide = await alice.send(
    `<GetMessage-Request><MessageID>${"\u00e9".repeat(1_100)}</MessageID></GetMessage-Request>`,
  );
  assert.equal(wide.code, 426, "a MessageID of 2,200 bytes in 1,100 characters");
});
