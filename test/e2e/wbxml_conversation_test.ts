/**
 * Phones that speak WBXML, over a real port: two of them log in with a digest, watch each other's
 * presence, send a picture (as OPAQUE binary content, the way WBXML carries it) and talk in a
 * group; then a WBXML phone and an XML desktop do the same with each other. Every WBXML answer
 * the server gives is also decoded by libwbxml, where it is installed, and must say the same.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import type { CspTransaction, CspVersion } from "../../src/codec/csp/message.ts";
import { encodeWbxmlTree } from "../../src/codec/wbxml/mod.ts";
import { wbxmlTreeSource } from "../../src/core/wbxml_tree.ts";
import { DEFAULT_XML_LIMITS } from "../../src/codec/xml/tree.ts";
import { TsWbxmlTokenizer } from "../../src/core/wbxml_tokenizer_ts.ts";
import { comparable, parse } from "../codec/fixtures.ts";
import { ackDelivered, infoOf, poll, pollOne } from "../im/im_support.ts";
import { authorise, id, notified, pollAll, subscribeUsers, update } from "../presence/support.ts";
import { createGroup, GROUP, joinOk, sendToGroup } from "../group/support.ts";
import {
  CspClient,
  type Encoding,
  type Harness,
  PASSWORD,
  startServer,
  type Transport,
  VERSIONS,
  WBXML_TYPES,
} from "../support/harness.ts";
import { commonForm, haveLibwbxml, wbxml2xml } from "../support/libwbxml.ts";
import { resultCode } from "../support/body_reader.ts";

/** A small PNG: binary, with zero bytes and bytes no text encoding allows. */
const PICTURE = Uint8Array.from([
  0x89,
  0x50,
  0x4e,
  0x47,
  0x0d,
  0x0a,
  0x1a,
  0x0a,
  0x00,
  0x00,
  0x00,
  0x0d,
  0x49,
  0x48,
  0x44,
  0x52,
  0x00,
  0x00,
  0x00,
  0x01,
  0x00,
  0x00,
  0x00,
  0x01,
  0x08,
  0x06,
  0x00,
  0x00,
  0x00,
  0x1f,
  0x15,
  0xc4,
  0x89,
  0xff,
  0xfe,
  0x80,
  0xc3,
  0x01,
]);

/** Every WBXML answer the server sent, with the version it was asked in. */
type Recorded = { version: CspVersion; bytes: Uint8Array }[];

/** A client on the harness's port whose WBXML answers are kept for the libwbxml check. */
function phone(h: Harness, name: string, version: CspVersion, encoding: Encoding, seen: Recorded) {
  const tap: Transport = async (body, type) => {
    const response = await h.transport(body, type);
    if ((response.headers.get("content-type") ?? "").includes("wbxml")) {
      const bytes = new Uint8Array(await response.clone().arrayBuffer());
      if (bytes.length > 0) seen.push({ version, bytes });
    }
    return response;
  };
  return new CspClient(name, version, tap, h.config.domain, encoding);
}

/** 4-way login: offer MD5, get a nonce, prove Base64(MD5(nonce ‖ password)). */
async function digestLogin(client: CspClient, password: string): Promise<void> {
  const step1 = await client.send(
    `<Login-Request><UserID>${client.userId}</UserID><ClientID><URL>http://phone/${client.name}` +
      `</URL></ClientID><DigestSchema>MD5</DigestSchema><TimeToLive>600</TimeToLive>` +
      `</Login-Request>`,
    { outband: true },
  );
  assert.equal(step1.code, 200, step1.text);
  assert.equal(step1.body.DigestSchema, "MD5");
  const digest = createHash("md5").update(`${step1.body.Nonce}${password}`).digest("base64");
  const step2 = await client.send(
    `<Login-Request><UserID>${client.userId}</UserID><ClientID><URL>http://phone/${client.name}` +
      `</URL></ClientID><DigestBytes>${digest}</DigestBytes><TimeToLive>600</TimeToLive>` +
      `</Login-Request>`,
    { outband: true },
  );
  assert.equal(step2.code, 200, step2.text);
  client.sessionId = String(step2.body.SessionID);
}

/** Sends the picture as a phone does in WBXML: the content's own bytes as OPAQUE. */
async function sendPicture(from: CspClient, to: string) {
  const placeholder = "PICTURE-GOES-HERE";
  const xml = from.envelope(
    `<SendMessage-Request><DeliveryReport>T</DeliveryReport><MessageInfo><ContentType>image/png` +
      `</ContentType><ContentSize>${PICTURE.length}</ContentSize><Recipient><User><UserID>${to}` +
      `</UserID></User></Recipient></MessageInfo><ContentData>${placeholder}</ContentData>` +
      `</SendMessage-Request>`,
    { transactionId: `${from.name}-picture` },
  );
  const wbxml = encodeWbxmlTree(parse(xml), from.version);
  const str = [0x03, ...new TextEncoder().encode(placeholder), 0x00];
  const at = indexOf(wbxml, str);
  assert.ok(at > 0);
  const opaque = [0xc3, PICTURE.length, ...PICTURE];
  const body = Uint8Array.from([
    ...wbxml.subarray(0, at),
    ...opaque,
    ...wbxml.subarray(at + str.length),
  ]);
  return await from.post(body, WBXML_TYPES[from.version]);
}

function indexOf(haystack: Uint8Array, needle: number[]): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** The picture as a receiver gets it: Base64 content, ContentEncoding BASE64, its type. */
function assertPicture(tx: CspTransaction): void {
  const info = infoOf(tx);
  assert.equal(info.ContentType, "image/png");
  assert.equal(info.ContentEncoding, "BASE64");
  assert.equal(info.ContentSize, PICTURE.length);
  assert.deepEqual(
    new Uint8Array(Buffer.from(String(tx.primitive.body.ContentData), "base64")),
    PICTURE,
  );
}

/** libwbxml reads every recorded 1.1/1.2 answer as we do; how many it read. */
async function checkWithLibwbxml(seen: Recorded): Promise<number> {
  if (!haveLibwbxml) return 0;
  const read = wbxmlTreeSource(new TsWbxmlTokenizer());
  let checked = 0;
  for (const { version, bytes } of seen) {
    if (version === "1.3") continue; // libwbxml has no CSP 1.3
    const theirs = commonForm(parse(await wbxml2xml(bytes, version)));
    assert.deepEqual(comparable(theirs), comparable(commonForm(read(bytes, DEFAULT_XML_LIMITS))));
    checked++;
  }
  return checked;
}

Deno.test("over HTTP, two WBXML phones: digest login, presence, a picture, a group", async () => {
  await using h = await startServer({ overHttp: true });
  const seen: Recorded = [];
  await h.addUser("alice", PASSWORD);
  await h.addUser("bob", PASSWORD);
  const alice = phone(h, "alice", "1.2", "wbxml", seen);
  const bob = phone(h, "bob", "1.2", "wbxml", seen);
  await digestLogin(alice, PASSWORD);
  await digestLogin(bob, PASSWORD);

  // Presence: alice lets bob see her status text; bob subscribes; alice says she is at lunch.
  assert.equal((await alice.send(authorise("1.2", [id("bob")], "StatusText"))).code, 200);
  const subscribed = await bob.send(subscribeUsers("1.2", [id("alice")]));
  assert.equal(subscribed.code, 200, subscribed.text);
  await pollAll(bob);
  assert.equal((await alice.send(update({ StatusText: "lunch" }))).code, 200);
  const seenByBob = notified(await pollAll(bob)).get(id("alice"));
  assert.deepEqual(seenByBob?.StatusText, { Qualifier: true, PresenceValue: "lunch" });

  // A picture, OPAQUE on the way in; bob's phone gets it whole, and alice a delivery report.
  const sent = await sendPicture(alice, id("bob"));
  assert.equal(sent.code, 200, sent.text);
  const picture = await pollOne(bob, "NewMessage");
  assertPicture(picture);
  await ackDelivered(bob, picture);
  const report = await pollOne(alice, "DeliveryReport-Request");
  assert.equal(resultCode(report.primitive.body), 200);

  // A group: alice opens it, bob joins, alice talks, bob hears.
  const created = await createGroup(alice, GROUP, {
    properties: { Name: "Lunch", AccessType: "Open" },
    join: true,
    screenName: "Alice",
  });
  assert.equal(created.code, 200, created.text);
  await joinOk(bob, GROUP, "Bob");
  assert.equal((await sendToGroup(alice, GROUP, "Soup today")).code, 200);
  const said = (await poll(bob)).find((tx) => tx.primitive.name === "NewMessage")!;
  assert.equal(said.primitive.body.ContentData, "Soup today");
  assert.deepEqual(infoOf(said).Sender, {
    Group: { ScreenName: { SName: "Alice", GroupID: GROUP } },
  });

  assert.ok(seen.length > 15);
  if (haveLibwbxml) assert.equal(await checkWithLibwbxml(seen), seen.length);
});

Deno.test("over HTTP, a WBXML phone and an XML desktop talk to each other", async () => {
  await using h = await startServer({ overHttp: true });
  const seen: Recorded = [];
  await h.addUser("alice", PASSWORD);
  await h.addUser("bob", PASSWORD);
  const alice = phone(h, "alice", "1.2", "wbxml", seen);
  const bob = phone(h, "bob", "1.2", "xml", seen);
  await digestLogin(alice, PASSWORD);
  assert.equal((await bob.login(PASSWORD)).code, 200);

  // Each watches the other; each answer comes in the asker's encoding.
  for (const [watched, watcher] of [[alice, bob], [bob, alice]]) {
    await watched.send(authorise("1.2", [watcher.userId], "StatusText"));
    await watcher.send(subscribeUsers("1.2", [watched.userId]));
    await pollAll(watcher);
  }
  const status = await alice.send(update({ StatusText: "on the bus" }));
  assert.equal(status.http.headers.get("content-type"), "application/vnd.wv.csp.wbxml");
  const desktop = await bob.send(update({ StatusText: "at my desk" }));
  assert.equal(desktop.http.headers.get("content-type"), "application/vnd.wv.csp.xml");
  assert.deepEqual(notified(await pollAll(bob)).get(alice.userId)?.StatusText, {
    Qualifier: true,
    PresenceValue: "on the bus",
  });
  assert.deepEqual(notified(await pollAll(alice)).get(bob.userId)?.StatusText, {
    Qualifier: true,
    PresenceValue: "at my desk",
  });

  // The phone's picture reaches the desktop as Base64 XML; the desktop's text reaches the phone.
  assert.equal((await sendPicture(alice, bob.userId)).code, 200);
  const picture = await bob.send("<Polling-Request/>", { transactionId: "" });
  assert.match(picture.text, /<ContentEncoding>BASE64<\/ContentEncoding>/);
  assertPicture(picture.message!.transactions[0]);
  await ackDelivered(bob, picture.message!.transactions[0]);
  await pollOne(alice, "DeliveryReport-Request");
  const text = await bob.send(
    `<SendMessage-Request><DeliveryReport>F</DeliveryReport><MessageInfo><ContentType>text/plain` +
      `</ContentType><Recipient><User><UserID>${alice.userId}</UserID></User></Recipient>` +
      `</MessageInfo><ContentData>Nice! &lt;3</ContentData></SendMessage-Request>`,
  );
  assert.equal(text.code, 200, text.text);
  const got = await pollOne(alice, "NewMessage");
  assert.equal(got.primitive.body.ContentData, "Nice! <3");

  // One session, two encodings: each request is answered in its own.
  const asXml = new CspClient("alice", "1.2", h.transport, h.config.domain, "xml");
  asXml.sessionId = alice.sessionId;
  const keepAlive = await asXml.send(
    "<KeepAlive-Request><TimeToLive>300</TimeToLive></KeepAlive-Request>",
  );
  assert.equal(keepAlive.http.headers.get("content-type"), "application/vnd.wv.csp.xml");
  assert.equal(keepAlive.code, 200);
  const again = await alice.send(
    "<KeepAlive-Request><TimeToLive>300</TimeToLive></KeepAlive-Request>",
  );
  assert.equal(again.http.headers.get("content-type"), "application/vnd.wv.csp.wbxml");
  assert.equal(again.code, 200);

  if (haveLibwbxml) assert.equal(await checkWithLibwbxml(seen), seen.length);
});

for (const version of VERSIONS) {
  Deno.test(`${version} in WBXML: log in, message, poll, log out; answers in WBXML of ${version}`, async () => {
    await using h = await startServer();
    const seen: Recorded = [];
    await h.addUser("alice", PASSWORD);
    await h.addUser("bob", PASSWORD);
    const [alice, bob] = ["alice", "bob"].map((name) => phone(h, name, version, "wbxml", seen));
    for (const client of [alice, bob]) assert.equal((await client.login(PASSWORD)).code, 200);
    const sent = await alice.send(
      `<SendMessage-Request><DeliveryReport>F</DeliveryReport><MessageInfo><ContentType>text/plain` +
        `</ContentType><Recipient><User><UserID>${bob.userId}</UserID></User></Recipient>` +
        `</MessageInfo><ContentData>hei</ContentData></SendMessage-Request>`,
    );
    assert.equal(sent.code, 200, sent.text);
    assert.equal(sent.http.headers.get("content-type"), WBXML_TYPES[version]);
    const tx = await pollOne(bob, "NewMessage");
    assert.equal(tx.primitive.body.ContentData, "hei");
    await ackDelivered(bob, tx);
    const bye = await alice.send("<Logout-Request/>");
    assert.equal(bye.primitive.name, version === "1.1" ? "Disconnect" : "Status");
    // The public id of each answer names its version (0x10, 0x11, 0x12).
    const ids = new Set(seen.map(({ bytes }) => bytes[1]));
    assert.deepEqual([...ids], [{ "1.1": 0x10, "1.2": 0x11, "1.3": 0x12 }[version]]);
    if (haveLibwbxml && version !== "1.3") {
      assert.equal(await checkWithLibwbxml(seen), seen.length);
    }
  });
}
