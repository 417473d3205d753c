/**
 * Sessions in the SMS binding over HTTP (`POST /csp` with `application/vnd.wv.csp.sms`): an
 * Android-style PTS client does what the Android engine does over SMS (login both ways,
 * capabilities, services, contact lists, presence), sends and receives messages with an XML
 * client, and acknowledges by number what the server hands it. Also Android's "SMS
 * authentication": log in by PTS, go on in XML with the same session. Through Kannel:
 * kannel_test.ts.
 */
import { deepStrictEqual, equal, match, ok } from "node:assert/strict";
import { PTS_CONTENT_TYPE } from "../../src/codec/sms/mod.ts";
import { SmsRepo } from "../../src/store/sms.ts";
import { exchangePts } from "../../src/transport/sms/pts.ts";
import { pollOne, sendOk } from "../im/im_support.ts";
import {
  authorise,
  id,
  notified,
  pollAll,
  subscribeUsers,
  update,
  value,
} from "../presence/support.ts";
import { type Harness, loggedIn, PASSWORD, startServer } from "../support/harness.ts";
import { type PtsBearer, PtsClient } from "../support/pts.ts";
import { at } from "../support/body_reader.ts";

/** PTS in HTTP bodies: the answer's lines are its PTS messages. */
function httpBearer(h: Harness): PtsBearer {
  return async (text) => {
    const response = await h.transport(text, PTS_CONTENT_TYPE);
    equal(response.status, 200);
    equal(response.headers.get("content-type"), PTS_CONTENT_TYPE);
    const body = await response.text();
    return body === "" ? [] : body.split("\n");
  };
}

async function setUp(overHttp = false): Promise<[Harness, PtsClient]> {
  const h = await startServer({ overHttp });
  await h.addUser("alice", PASSWORD);
  return [h, new PtsClient(id("alice"), httpBearer(h))];
}

Deno.test("an Android engine's whole session in the SMS binding, over a real port", async (t) => {
  const [h, alice] = await setUp(true);
  await using _ = h;
  const [bob] = await loggedIn(h, "1.2", "bob");

  await t.step("login by digest: LR with SH, then DB", async () => {
    const answer = await alice.loginDigest(PASSWORD);
    equal(answer.code, 200);
    match(answer.text, /^WV12RL\d+ CI=JiMMY ST=200 SI=[0-9a-f]{32} KA=600 CR=T$/);
  });

  await t.step("ClientCapability and Service as AOSP asks them", async () => {
    const cap = await alice.request(
      "CP",
      "CA=((CT,MP),(PS,262144),(MT,1),(ID,P),(PM,30),(SB,HTTP),(SC,ST),(SC,SS))",
    );
    match(cap.text, /^WV12PC\d+ SI=\w+ AP=\(\(CT,MP\),\(ID,P\),\(PS,262144\),\(MT,1\),/);
    const service = await alice.request("SQ", "RF=(FF,PF,IF,GE) AR=T");
    equal(service.tx.primitive.name, "Service-Response");
    ok(service.body.AllFunctions, service.text);
  });

  await t.step("contact lists: create one, add bob, read it back", async () => {
    equal((await alice.request("GL")).tx.primitive.name, "GetList-Response");
    const list = id("alice").replace("@", "/friends@");
    equal((await alice.request("CL", `CP=((DN,Friends),(DE,T)) CL=${list}`)).code, 200);
    const added = await alice.request("LM", `RL=T AN=((Bobby,${id("bob")})) CL=${list}`);
    equal(added.code, 200);
    deepStrictEqual(added.body.NickList, { NickName: [{ Name: "Bobby", UserID: id("bob") }] });
    const lists = await alice.request("GL");
    equal(lists.body.DefaultContactList, list);
    equal((await alice.request("GB")).tx.primitive.name, "GetBlockedList-Response");
  });

  await t.step(
    "presence: alice subscribes, bob allows and changes; PN comes numbered",
    async () => {
      equal((await alice.request("SB", `PS=(OS,UA,ST) UI=${id("bob")}`)).code, 200);
      await pollAll(bob);
      await bob.send(
        authorise("1.2", [id("alice")], "OnlineStatus", "UserAvailability", "StatusText"),
      );
      await bob.send(update({ UserAvailability: "DISCREET", StatusText: "in a meeting" }));
      const handed = await alice.poll();
      const pn = handed.filter((a) => a.tx.primitive.name === "PresenceNotification-Request").at(
        -1,
      )!;
      match(pn.text, /^WV12PN\d{1,3} SI=\w+ PR=\(wv:bob@example.com,\(.*\(UA,T,DI\)/);
      match(pn.text, /\(ST,T,"in a meeting"\)/);
      // Acknowledged by number: nothing is handed out again.
      deepStrictEqual(await alice.send("PO", "", "0"), []);
      const got = await alice.request("GP", `UI=${id("bob")}`);
      match(got.text, /^WV12PG\d+ SI=\w+ ST=\(200,\w*\) PR=\(wv:bob@example.com,/);
    },
  );

  await t.step("bob asks to watch alice: she is asked in PTS, and allows (AU)", async () => {
    await bob.send(subscribeUsers("1.2", [id("alice")]));
    const [ask] = await alice.poll();
    match(ask.text, /^WV12PA\d{1,3} SI=\w+ PS="" UI=wv:bob@example.com$/);
    equal((await alice.request("AU", `UI=${id("bob")} AC=T`)).code, 200);
    await pollAll(bob);
  });

  await t.step("alice publishes availability and ClientInfo; bob sees them", async () => {
    const published = await alice.request(
      "UP",
      "UV=((UA,T,AV),(ST,T,At lunch),(CF,T,((CT,MP),(CP,Google))))",
    );
    equal(published.code, 200, published.text);
    const list = notified(await pollAll(bob)).get(id("alice"));
    equal(value(list, "StatusText"), "At lunch");
    equal(value(list, "UserAvailability"), "AVAILABLE");
    equal(at(list, "ClientInfo", 0, "ClientProducer"), "Google");
  });

  await t.step("messages both ways: SM to an XML client, NM back, acknowledged", async () => {
    const sent = await alice.request(
      "SM",
      `DR=F MI=((CY,text/plain),(RE,((UI,${id("bob")})))) CD="Hello, ""Bob"""`,
    );
    equal(sent.code, 200, sent.text);
    equal((await pollOne(bob, "NewMessage")).primitive.body.ContentData, 'Hello, "Bob"');
    await sendOk(bob, [id("alice")], "Hi Alice (over PTS)");
    const [message] = await alice.poll();
    equal(message.tx.primitive.name, "NewMessage");
    equal(message.body.ContentData, "Hi Alice (over PTS)");
    deepStrictEqual(await alice.send("PO", "", "0"), []);
  });

  await t.step("keep-alive and logout", async () => {
    match((await alice.request("KA", "TL=300")).text, /^WV12AK\d+ SI=\w+ ST=\(200,.*\) KA=300$/);
    equal((await alice.request("OR")).code, 200);
    equal((await alice.request("KA", "TL=300")).code, 604);
  });
});

Deno.test("2-way login in each version, and wrong passwords", async () => {
  const [h, alice] = await setUp();
  await using _ = h;
  equal((await alice.login("wrong")).code, 409);
  equal((await alice.login(PASSWORD)).code, 200);
  for (const version of ["11", "13"] as const) {
    const other = new PtsClient(
      id("alice"),
      (text) =>
        exchangePts(h.server.context, new SmsRepo(h.server.context.store), text)
          .then((e) => e.answers),
      version,
    );
    const answer = await other.login(PASSWORD);
    equal(answer.code, 200);
    ok(answer.text.startsWith(`WV${version}RL`));
  }
});

Deno.test("SMS authentication: log in in PTS, go on in XML with the same session", async () => {
  const [h, alice] = await setUp();
  await using _ = h;
  const [bob] = await loggedIn(h, "1.2", "bob");
  equal((await alice.login(PASSWORD)).code, 200);
  const xml = h.client("alice", "1.2");
  xml.sessionId = alice.sessionId;
  const keepAlive = await xml.send(
    "<KeepAlive-Request><TimeToLive>300</TimeToLive></KeepAlive-Request>",
  );
  equal(keepAlive.code, 200);
  await sendOk(bob, [id("alice")], "over HTTP now");
  equal((await pollOne(xml, "NewMessage")).primitive.body.ContentData, "over HTTP now");
});

Deno.test("broken PTS over HTTP: 400 without a preamble, a Status with one", async () => {
  const [h] = await setUp();
  await using _ = h;
  const answer = async (body: string | Uint8Array<ArrayBuffer>) => {
    const response = await h.transport(body, PTS_CONTENT_TYPE);
    return [response.status, await response.text()];
  };
  match(String((await answer("hello"))[1]), /^Malformed PTS at character 0/);
  equal((await answer("hello"))[0], 400);
  equal((await answer(Uint8Array.of(0x57, 0x56, 0xff)))[0], 400);
  deepStrictEqual(await answer('WV12LR4 PW="x'), [
    200,
    'WV12ST4 ST=(400,"unterminated quoted value")',
  ]);
  deepStrictEqual(await answer("WV21LR5 PW=x"), [200, 'WV12ST5 ST=(505,"unknown version ""21""")']);
});

Deno.test("a message that reads as PTS but not as CSP is answered with a Status", async () => {
  const [h] = await setUp();
  await using _ = h;
  const numbers = new SmsRepo(h.server.context.store);
  const { answers } = await exchangePts(h.server.context, numbers, "WV12QQ7 SI=abc");
  deepStrictEqual(answers, ['WV12ST7 ST=(400,"unknown transaction code QQ")']);
  const { answers: unknownSession } = await exchangePts(h.server.context, numbers, "WV12PO3 SI=x");
  match(unknownSession[0], /^WV12ST3 SI=x ST=\(604/);
});
