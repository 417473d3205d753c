/** Hostile or careless messaging requests get clear CSP codes, and nothing is stored for them. */
import assert from "node:assert/strict";
import { loggedIn, PASSWORD, startServer } from "../support/harness.ts";
import { poll, send, sendMessageXml, sendOk } from "./im_support.ts";
import { at } from "../support/body_reader.ts";

async function pair() {
  const h = await startServer();
  const [alice, bob] = await loggedIn(h, "1.2", "alice", "bob");
  return { h, alice, bob };
}

Deno.test("malformed sends: no MessageInfo, no Recipient, an empty Recipient", async () => {
  const { h, alice, bob } = await pair();
  await using _ = h;
  const noInfo = await alice.send(
    "<SendMessage-Request><DeliveryReport>F</DeliveryReport><ContentData>no MessageInfo</ContentData></SendMessage-Request>",
  );
  assert.equal(noInfo.primitive.name, "Status");
  assert.equal(noInfo.code, 400);
  const noRecipient = await alice.send(
    "<SendMessage-Request><MessageInfo><ContentType>text/plain</ContentType></MessageInfo><ContentData>x</ContentData></SendMessage-Request>",
  );
  assert.equal(noRecipient.code, 400);
  assert.equal((await send(alice, [], "to nobody")).code, 400);
  const userWithoutId = await send(alice, [], "x", {
    recipients: "<User><FriendlyName>b</FriendlyName></User>",
  });
  assert.equal(userWithoutId.code, 400);
  assert.deepEqual(await poll(bob), []);
});

Deno.test("an unknown or malformed recipient gets 531", async () => {
  const { h, alice } = await pair();
  await using _ = h;
  assert.equal((await send(alice, ["wv:nobody@example.com"], "hi")).code, 531);
  assert.equal((await send(alice, ["wv:bad/name@example.com"], "hi")).code, 531);
});

Deno.test("content over the size limit gets 402; at the limit it is delivered", async () => {
  const { h, alice, bob } = await pair();
  await using _ = h;
  const over = await send(alice, [bob.userId], "x".repeat(h.config.maxMessageBytes + 1));
  assert.equal(over.code, 402);
  assert.match(String(at(over.body, "Result", "Description")), /larger than/);
  await sendOk(alice, [bob.userId], "x".repeat(h.config.maxMessageBytes));
  assert.equal((await poll(bob)).length, 1);
});

Deno.test("an unknown ContentEncoding gets 415, BASE64 that is not gets 402", async () => {
  const { h, alice, bob } = await pair();
  await using _ = h;
  assert.equal((await send(alice, [bob.userId], "hi", { encoding: "ROT13" })).code, 415);
  assert.equal((await send(alice, [bob.userId], "not base64!", { encoding: "BASE64" })).code, 402);
  assert.equal((await send(alice, [bob.userId], "hi", { contentType: "no type" })).code, 415);
  assert.deepEqual(await poll(bob), []);
});

Deno.test("a bad Validity gets 402; a Sender other than the caller gets 402", async () => {
  const { h, alice, bob } = await pair();
  await using _ = h;
  const xml = sendMessageXml([bob.userId], "hi").replace(
    "</Recipient>",
    "</Recipient><Validity>soon</Validity>",
  );
  assert.equal((await alice.send(xml)).code, 402);
  assert.equal((await send(alice, [bob.userId], "hi", { sender: bob.userId })).code, 402);
  await sendOk(alice, [bob.userId], "hi", { sender: "alice" });
});

Deno.test("unknown or malformed MessageIDs get 426 wherever they are named", async () => {
  const { h, alice, bob } = await pair();
  await using _ = h;
  const messageId = await sendOk(alice, [bob.userId], "mine");
  for (const id of ["0000000000000000000000", "x".repeat(5000), messageId.toUpperCase()]) {
    const getMessage = await bob.send(
      `<GetMessage-Request><MessageID>${id}</MessageID></GetMessage-Request>`,
    );
    assert.equal(getMessage.code, 426, "GetMessage");
    const delivered = await bob.send(
      `<MessageDelivered><MessageID>${id}</MessageID></MessageDelivered>`,
    );
    assert.equal(delivered.code, 426, "MessageDelivered");
    const forward = await bob.send(
      `<ForwardMessage-Request><MessageID>${id}</MessageID><Recipient><User><UserID>alice</UserID></User></Recipient></ForwardMessage-Request>`,
    );
    assert.equal(forward.code, 426, "ForwardMessage");
  }
  assert.equal(
    (await alice.send(
      `<GetMessage-Request><MessageID>${messageId}</MessageID></GetMessage-Request>`,
    )).code,
    426,
    "not alice's to read",
  );
  const partly = await bob.send(
    `<RejectMessage-Request><MessageID>${messageId}</MessageID><MessageID>nope</MessageID></RejectMessage-Request>`,
  );
  assert.equal(partly.code, 201);
  assert.equal((await bob.send("<MessageDelivered/>")).code, 400);
});

Deno.test("SetDeliveryMethod and GetMessageList refuse values they cannot honour", async () => {
  const { h, bob } = await pair();
  await using _ = h;
  const set = (inner: string) =>
    bob.send(`<SetDeliveryMethod-Request>${inner}</SetDeliveryMethod-Request>`);
  assert.equal((await set("<DeliveryMethod>X</DeliveryMethod>")).code, 402);
  assert.equal((await set("")).code, 400);
  assert.equal(
    (await set(
      "<DeliveryMethod>P</DeliveryMethod><AcceptedContentLength>-1</AcceptedContentLength>",
    )).code,
    402,
  );
  assert.equal(
    (await set("<DeliveryMethod>P</DeliveryMethod><GroupID>wv:g/x@example.com</GroupID>")).code,
    405,
  );
  const list = await bob.send(
    "<GetMessageList-Request><MessageCount>lots</MessageCount></GetMessageList-Request>",
  );
  assert.equal(list.code, 402);
});

Deno.test("a full mailbox refuses more with 507 until bob takes some", async () => {
  // alice may fill all of it here: the sender's share is another test's.
  await using h = await startServer({ env: { IMPS_MAILBOX_SENDER_SHARE: "100" } });
  const [alice, bob] = await loggedIn(h, "1.2", "alice", "bob");
  await bob.send("<Logout-Request/>");
  for (let i = 0; i < h.config.mailboxSize; i++) await sendOk(alice, [bob.userId], `m${i}`);
  assert.equal((await send(alice, [bob.userId], "one too many")).code, 507);
  const back = h.client("bob", "1.2");
  await back.login(PASSWORD);
  const [tx] = await poll(back);
  await back.send(
    `<MessageDelivered><MessageID>${
      at(tx.primitive.body, "MessageInfo", "MessageID")
    }</MessageID></MessageDelivered>`,
  );
  await sendOk(alice, [bob.userId], "room again");
});
