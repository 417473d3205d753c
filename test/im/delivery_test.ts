/** Conversations about getting a message from alice to bob: push, notify/get, online, offline. */
import assert from "node:assert/strict";
import { startServer, VERSIONS } from "../support/harness.ts";
import {
  ackDelivered,
  ackStatus,
  infoOf,
  poll,
  pollOne,
  resultCode,
  send,
  senderOf,
  sendOk,
} from "./im_support.ts";
import { at, element, items, nodes } from "../support/body_reader.ts";

async function alicesAndBobs(version: "1.1" | "1.2" | "1.3" = "1.2") {
  const h = await startServer();
  await h.addUser("alice", "secret");
  await h.addUser("bob", "secret");
  const alice = h.client("alice", version);
  const bob = h.client("bob", version);
  await alice.login("secret");
  return { h, alice, bob };
}

for (const version of VERSIONS) {
  Deno.test(`${version}: alice sends bob a message; bob gets it pushed, alice learns it arrived`, async () => {
    const { h, alice, bob } = await alicesAndBobs(version);
    await using _ = h;
    await bob.login("secret");

    const messageId = await sendOk(alice, [bob.userId], "Hello Bob", { report: true });
    assert.match(messageId, /^[0-9a-f]{22}$/);

    const tx = await pollOne(bob, "NewMessage");
    const info = infoOf(tx);
    assert.equal(info.MessageID, messageId);
    assert.equal(senderOf(info), alice.userId);
    assert.equal(info.ContentType, "text/plain");
    assert.equal(info.ContentSize, 9);
    assert.match(String(info.DateTime), /^\d{8}T\d{6}Z$/);
    assert.equal(tx.primitive.body.ContentData, "Hello Bob");

    const delivered = await ackDelivered(bob, tx);
    assert.equal(delivered.empty, true, "a Response transaction gets no answer");
    assert.deepEqual(await poll(bob), [], "delivered once, not again");

    const report = await pollOne(alice, "DeliveryReport-Request");
    assert.equal(resultCode(report.primitive.body), 200);
    assert.match(String(report.primitive.body.DeliveryTime), /^\d{8}T\d{6}Z$/);
    assert.equal(infoOf(report).MessageID, messageId);
    await ackStatus(alice, report);
    assert.deepEqual(await poll(alice), []);
  });

  Deno.test(`${version}: bob's answers say Poll=F while his mailbox is empty, Poll=T once alice writes`, async () => {
    const { h, alice, bob } = await alicesAndBobs(version);
    await using _ = h;
    await bob.login("secret");
    assert.equal((await bob.send("<KeepAlive-Request/>")).poll, false, "nothing waits");
    assert.equal((await bob.send("<KeepAlive-Request/>")).poll, false, "still nothing");

    await sendOk(alice, [bob.userId], "news");
    assert.equal((await bob.send("<KeepAlive-Request/>")).poll, true, "the message waits");
    assert.equal((await alice.send("<KeepAlive-Request/>")).poll, false, "nothing for alice");
  });

  Deno.test(`${version}: bob, offline when alice wrote, finds the message at his next login`, async () => {
    const { h, alice, bob } = await alicesAndBobs(version);
    await using _ = h;

    const messageId = await sendOk(alice, [bob.userId], "read this later");
    const login = await bob.login("secret");
    assert.equal(login.poll, true, "the Login-Response itself says something waits");
    const alive = await bob.send("<KeepAlive-Request/>");
    assert.equal(alive.poll, true, "and so does bob's next answer");

    const tx = await pollOne(bob, "NewMessage");
    assert.equal(infoOf(tx).MessageID, messageId);
    assert.equal(tx.primitive.body.ContentData, "read this later");
  });

  Deno.test(`${version}: bob asks to be notified, lists his messages and fetches one`, async () => {
    const { h, alice, bob } = await alicesAndBobs(version);
    await using _ = h;
    await bob.login("secret");
    const set = await bob.send(
      "<SetDeliveryMethod-Request><DeliveryMethod>N</DeliveryMethod></SetDeliveryMethod-Request>",
    );
    assert.equal(set.code, 200);

    const messageId = await sendOk(alice, [bob.userId], "Notify me", { report: true });
    const note = await pollOne(bob, "MessageNotification");
    assert.equal(infoOf(note).MessageID, messageId);
    assert.equal(note.primitive.body.ContentData, undefined, "no content in a notification");
    await ackStatus(bob, note);

    const list = await bob.send("<GetMessageList-Request/>");
    assert.equal(list.primitive.name, "GetMessageList-Response");
    const infos = version === "1.1"
      ? nodes(list.body, "MessageInfo")
      : nodes(list.body, "MessageInfoList", "MessageInfo");
    assert.deepEqual(infos.map((i) => i.MessageID), [messageId]);
    if (version === "1.3") assert.equal(list.body.MessageTotalCount, 1);

    const fetch = `<GetMessage-Request><MessageID>${messageId}</MessageID></GetMessage-Request>`;
    const got = await bob.send(fetch);
    assert.equal(got.primitive.name, "GetMessage-Response");
    assert.equal(got.body.ContentData, "Notify me");
    assert.equal((await bob.send(fetch)).body.ContentData, "Notify me", "GetMessage keeps it");
    assert.deepEqual(await poll(alice), [], "fetching is not yet delivery");

    const done = await bob.send(
      `<MessageDelivered><MessageID>${messageId}</MessageID></MessageDelivered>`,
    );
    assert.equal(done.code, 200);
    const after = await bob.send("<GetMessageList-Request/>");
    const left = version === "1.1"
      ? items(after.body, "MessageInfo")
      : items(after.body, "MessageInfoList", "MessageInfo");
    assert.equal(left.length, 0);
    assert.equal(resultCode((await pollOne(alice, "DeliveryReport-Request")).primitive.body), 200);
  });
}

Deno.test("a client that agreed InitialDeliveryMethod N is notified, not pushed", async () => {
  const { h, alice, bob } = await alicesAndBobs();
  await using _ = h;
  await bob.login("secret");
  await bob.send(
    "<ClientCapability-Request><CapabilityList><InitialDeliveryMethod>N</InitialDeliveryMethod>" +
      "</CapabilityList></ClientCapability-Request>",
  );
  const messageId = await sendOk(alice, [bob.userId], "hi");
  const notice = await pollOne(bob, "MessageNotification");
  await ackStatus(bob, notice);
  assert.deepEqual(await poll(bob), [], "announced once");

  const got = await bob.send(
    `<GetMessage-Request><MessageID>${messageId}</MessageID></GetMessage-Request>`,
  );
  assert.equal(got.body.ContentData, "hi", "still in the mailbox until fetched");
  const delivered = `<MessageDelivered><MessageID>${messageId}</MessageID></MessageDelivered>`;
  assert.equal((await bob.send(delivered)).code, 200);
  const list = await bob.send("<GetMessageList-Request/>");
  assert.equal(list.text.includes(messageId), false, "gone once delivered");
});

Deno.test("a waiting message is handed out the way the session takes messages at its poll, not at its send", async () => {
  const { h, alice, bob } = await alicesAndBobs();
  await using _ = h;
  await bob.login("secret");
  await sendOk(alice, [bob.userId], "first");
  const method = (m: string) =>
    bob.send(
      `<SetDeliveryMethod-Request><DeliveryMethod>${m}</DeliveryMethod>` +
        `</SetDeliveryMethod-Request>`,
    );
  assert.equal((await method("N")).code, 200);
  assert.equal(infoOf(await pollOne(bob, "MessageNotification")).ContentType, "text/plain");
});

Deno.test("a push client gets large messages announced past its AcceptedContentLength", async () => {
  const { h, alice, bob } = await alicesAndBobs();
  await using _ = h;
  await bob.login("secret");
  await bob.send(
    "<SetDeliveryMethod-Request><DeliveryMethod>P</DeliveryMethod>" +
      "<AcceptedContentLength>10</AcceptedContentLength></SetDeliveryMethod-Request>",
  );
  await sendOk(alice, [bob.userId], "short");
  await sendOk(alice, [bob.userId], "rather longer than ten bytes");
  assert.equal((await pollOne(bob, "NewMessage")).primitive.body.ContentData, "short");
  await pollOne(bob, "MessageNotification");
});

Deno.test("bob acknowledges with MessageDelivered as a request of its own, as Baraza clients do", async () => {
  const { h, alice, bob } = await alicesAndBobs();
  await using _ = h;
  await bob.login("secret");
  const messageId = await sendOk(alice, [bob.userId], "Hello", { report: true });
  await pollOne(bob, "NewMessage");

  const xml = `<MessageDelivered><MessageID>${messageId}</MessageID></MessageDelivered>`;
  assert.equal((await bob.send(xml)).code, 200);
  assert.equal((await bob.send(xml)).code, 200, "a retried acknowledgement is answered alike");

  await pollOne(alice, "DeliveryReport-Request");
  assert.deepEqual(await poll(alice), [], "reported once");
  const later = await h.server.context.outbox.deliverable(bob.sessionId!, Date.now() + 60_000, 5);
  assert.deepEqual(later, [], "the NewMessage in flight is not handed out again");
});

Deno.test("a new login picks up what an earlier session never acknowledged", async () => {
  const { h, alice, bob } = await alicesAndBobs();
  await using _ = h;
  await bob.login("secret");
  const first = await sendOk(alice, [bob.userId], "one");
  const second = await sendOk(alice, [bob.userId], "two");
  const seen = await pollOne(bob, "NewMessage");
  await ackDelivered(bob, seen);
  await pollOne(bob, "NewMessage"); // received by that client, but never acknowledged

  const phone = h.client("bob", "1.2");
  await phone.login("secret");
  const again = await pollOne(phone, "NewMessage");
  assert.equal(infoOf(seen).MessageID, first);
  assert.equal(infoOf(again).MessageID, second);
  assert.deepEqual(await poll(phone), []);
});

Deno.test("a message delivered in one of bob's sessions is withdrawn from his others", async () => {
  const { h, alice, bob } = await alicesAndBobs();
  await using _ = h;
  await bob.login("secret");
  const phone = h.client("bob", "1.2");
  await phone.login("secret");
  await sendOk(alice, [bob.userId], "one for both");

  await ackDelivered(bob, await pollOne(bob, "NewMessage"));
  assert.deepEqual(await poll(phone), []);
});

Deno.test("messages from alice reach bob in the order she sent them", async () => {
  const { h, alice, bob } = await alicesAndBobs();
  await using _ = h;
  const ids = [];
  for (let i = 0; i < 12; i++) ids.push(await sendOk(alice, [bob.userId], `message ${i}`));
  await bob.login("secret");
  const got = [];
  for (let tx = (await poll(bob))[0]; tx; tx = (await poll(bob))[0]) {
    got.push(infoOf(tx).MessageID);
    await ackDelivered(bob, tx);
  }
  assert.deepEqual(got, ids);
});

Deno.test("message text keeps its whitespace and markup; binary content travels as BASE64", async () => {
  const { h, alice, bob } = await alicesAndBobs();
  await using _ = h;
  await bob.login("secret");
  const text = "  two leading spaces,\n a <tag> & a newline \n";
  await sendOk(alice, [bob.userId], text);
  const bytes = "AAECAwQF/w==";
  await sendOk(alice, [bob.userId], bytes, { encoding: "BASE64", contentType: "image/png" });

  assert.equal((await pollOne(bob, "NewMessage")).primitive.body.ContentData, text);
  const pushed = (await pollOne(bob, "NewMessage")).primitive.body;
  assert.equal(pushed.ContentData, bytes);
  assert.equal(at(pushed, "MessageInfo", "ContentEncoding"), "BASE64");
  assert.equal(at(pushed, "MessageInfo", "ContentSize"), 7);
});

Deno.test("bob rejects a message: alice learns 538", async () => {
  const { h, alice, bob } = await alicesAndBobs();
  await using _ = h;
  const messageId = await sendOk(alice, [bob.userId], "spam", { report: true });
  await bob.login("secret");
  const rejected = await bob.send(
    `<RejectMessage-Request><MessageID>${messageId}</MessageID></RejectMessage-Request>`,
  );
  assert.equal(rejected.code, 200);
  assert.deepEqual(await poll(bob), [], "the queued copy is withdrawn");
  assert.equal(resultCode((await pollOne(alice, "DeliveryReport-Request")).primitive.body), 538);
});

for (const version of ["1.2", "1.3"] as const) {
  Deno.test(`${version}: bob forwards alice's message to carol; alice learns 541`, async () => {
    const { h, alice, bob } = await alicesAndBobs(version);
    await using _ = h;
    await h.addUser("carol", "secret");
    const carol = h.client("carol", version);
    await carol.login("secret");
    const messageId = await sendOk(alice, [bob.userId], "pass it on", { report: true });
    await bob.login("secret");

    const forwarded = await bob.send(
      `<ForwardMessage-Request><MessageID>${messageId}</MessageID><Recipient><User>` +
        `<UserID>${carol.userId}</UserID></User></Recipient></ForwardMessage-Request>`,
    );
    if (version === "1.3") {
      assert.equal(forwarded.primitive.name, "ForwardMessage-Response");
      assert.match(String(forwarded.body.MessageID), /^[0-9a-f]{22}$/);
    } else assert.equal(forwarded.code, 200);

    const tx = await pollOne(carol, "NewMessage");
    assert.equal(tx.primitive.body.ContentData, "pass it on");
    assert.equal(senderOf(infoOf(tx)), alice.userId);
    assert.deepEqual(await poll(bob), [], "it left bob's mailbox");
    assert.equal(resultCode((await pollOne(alice, "DeliveryReport-Request")).primitive.body), 541);
  });
}

Deno.test("an expired message is dropped and its sender told 542", async () => {
  const { h, alice, bob } = await alicesAndBobs();
  await using _ = h;
  await sendOk(alice, [bob.userId], "only for a second", { validity: 1, report: true });
  await sendOk(alice, [bob.userId], "for an hour", { validity: 3600 });
  await new Promise((r) => setTimeout(r, 1100));

  await bob.login("secret");
  const tx = await pollOne(bob, "NewMessage");
  assert.equal(tx.primitive.body.ContentData, "for an hour");
  assert.equal(infoOf(tx).Validity, 3600);
  const report = await pollOne(alice, "DeliveryReport-Request");
  assert.equal(resultCode(report.primitive.body), 542);
});

Deno.test("a report for an offline sender waits for her next login", async () => {
  const { h, alice, bob } = await alicesAndBobs();
  await using _ = h;
  await bob.login("secret");
  await sendOk(alice, [bob.userId], "tell me", { report: true });
  await alice.send("<Logout-Request/>");
  await ackDelivered(bob, await pollOne(bob, "NewMessage"));

  const back = h.client("alice", "1.2");
  await back.login("secret");
  const report = await pollOne(back, "DeliveryReport-Request");
  await ackStatus(back, report);
  const again = h.client("alice", "1.2");
  await again.login("secret");
  assert.deepEqual(await poll(again), [], "an acknowledged report is not repeated");
});

Deno.test("one message to several users: partial failures name each recipient", async () => {
  const { h, alice, bob } = await alicesAndBobs();
  await using _ = h;
  const reply = await send(
    alice,
    [bob.userId, "wv:nobody@example.com", "wv:zed@elsewhere.org"],
    "hi",
    {
      recipients: "<Group><GroupID>wv:alice/friends@example.com</GroupID></Group>",
    },
  );
  assert.equal(reply.code, 201);
  assert.match(String(reply.body.MessageID), /^[0-9a-f]{22}$/);
  const details = nodes(reply.body, "Result", "DetailedResult");
  const byCode = Object.fromEntries(details.map((d) => [d.Code, d]));
  assert.deepEqual(byCode[531].UserID, ["wv:nobody@example.com"]);
  assert.deepEqual(byCode[516].UserID, ["wv:zed@elsewhere.org"]);
  assert.deepEqual(byCode[800].GroupID, ["wv:alice/friends@example.com"], "no such group");

  const none = await send(alice, ["wv:nobody@example.com", "wv:zed@elsewhere.org"], "hi");
  assert.equal(none.code, 900, "all failed, differently");
  assert.equal(none.body.MessageID, undefined);
  const unknown = await send(alice, ["wv:nobody@example.com"], "hi");
  assert.equal(unknown.code, 531, "all failed alike: that code");
});

Deno.test("the Functions tree offers the IM leaves", async () => {
  const { h, alice } = await alicesAndBobs();
  await using _ = h;
  const reply = await alice.send(
    "<Service-Request><AllFunctionsRequest>T</AllFunctionsRequest></Service-Request>",
  );
  const im = element(reply.body, "AllFunctions", "WVCSPFeat", "IMFeat");
  assert.deepEqual(Object.keys(element(im, "IMSendFunc")).sort(), ["FWMSG", "MDELIV"]);
  assert.deepEqual(Object.keys(element(im, "IMReceiveFunc")).sort(), [
    "GETLM",
    "GETM",
    "NEWM",
    "NOTIF",
    "REJCM",
    "SETD",
  ]);
  assert.deepEqual(Object.keys(element(im, "IMAuthFunc")).sort(), ["BLENT", "GLBLU"]);
});
