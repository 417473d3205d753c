/**
 * How group copies reach their receivers: a receiver whose every session takes pushes gets only
 * queue entries (nothing in the mailbox), anyone else a mailbox copy as for a message of their
 * own; a copy that is only queued ends with its session.
 */
import assert from "node:assert/strict";
import {
  type CspClient,
  type Harness,
  loggedIn,
  PASSWORD,
  startServer,
} from "../support/harness.ts";
import { ackDelivered, ackStatus, infoOf, poll, pollOne, sendOk } from "../im/im_support.ts";
import { createGroup, GROUP, joinOk, sendToGroup } from "./support.ts";
import { at } from "../support/body_reader.ts";

/** alice's room with bob joined (and whoever else is named), each logged in once. */
async function room(h: Harness, ...others: string[]): Promise<CspClient[]> {
  const clients = await loggedIn(h, "1.2", "alice", "bob", ...others);
  assert.equal((await createGroup(clients[0], GROUP, { join: true, screenName: "Al" })).code, 200);
  for (const client of clients.slice(1)) await joinOk(client, GROUP);
  return clients;
}

/** What bob's mailbox holds: its records and its count. */
async function mailboxOfBob(h: Harness, bob: CspClient) {
  const mailbox = h.server.elements.im.mailbox;
  const pending = await mailbox.pending(bob.userId);
  return { ids: pending.map((m) => m.value.id), count: await mailbox.count(bob.userId) };
}

const delivered = (client: CspClient, messageId: string) =>
  client.send(`<MessageDelivered><MessageID>${messageId}</MessageID></MessageDelivered>`);

const notifyMe = async (client: CspClient) =>
  assert.equal(
    (await client.send(
      "<SetDeliveryMethod-Request><DeliveryMethod>N</DeliveryMethod></SetDeliveryMethod-Request>",
    )).code,
    200,
  );

Deno.test("bob takes pushes: he gets the group's messages pushed and confirms them, his mailbox stays empty", async () => {
  await using h = await startServer();
  const [alice, bob] = await room(h);

  const first = await sendToGroup(alice, GROUP, "pushed to bob");
  assert.equal(first.code, 200, first.text);
  assert.deepEqual(await mailboxOfBob(h, bob), { ids: [], count: 0 }, "only queued");
  const tx = await pollOne(bob, "NewMessage");
  assert.equal(infoOf(tx).MessageID, first.body.MessageID);
  assert.deepEqual(infoOf(tx).Sender, { Group: { ScreenName: { SName: "Al", GroupID: GROUP } } });
  assert.equal(tx.primitive.body.ContentData, "pushed to bob");
  await ackDelivered(bob, tx);
  assert.deepEqual(await poll(bob), [], "confirmed: not handed out again");

  // Baraza clients confirm with a MessageDelivered request of their own (fixture 051).
  const second = await sendToGroup(alice, GROUP, "confirmed by request");
  const next = await pollOne(bob, "NewMessage");
  const confirmed = await delivered(bob, String(infoOf(next).MessageID));
  assert.equal(confirmed.code, 200, confirmed.text);
  assert.equal(infoOf(next).MessageID, second.body.MessageID);
  assert.deepEqual(await poll(bob), []);
  assert.equal(
    (await delivered(bob, String(second.body.MessageID))).code,
    426,
    "once off the queue a pushed group copy is not known any more",
  );

  // A plain Status answer takes it off the queue too.
  await sendToGroup(alice, GROUP, "answered with Status");
  await ackStatus(bob, await pollOne(bob, "NewMessage"));
  assert.deepEqual(await poll(bob), []);
  assert.deepEqual(await mailboxOfBob(h, bob), { ids: [], count: 0 });
  assert.deepEqual(await poll(alice), [], "no delivery reports for group copies");

  // A message to bob alone still goes through his mailbox.
  const own = await sendOk(alice, [bob.userId], "just for you");
  assert.deepEqual(await mailboxOfBob(h, bob), { ids: [own], count: 1 });
});

Deno.test("bob asks to be notified: a group message waits in his mailbox for GetMessage", async () => {
  await using h = await startServer();
  const [alice, bob, carol] = await room(h, "carol");
  await notifyMe(bob);

  const sent = await sendToGroup(alice, GROUP, "fetch me");
  const messageId = String(sent.body.MessageID);
  const note = await pollOne(bob, "MessageNotification");
  assert.equal(infoOf(note).MessageID, messageId);
  assert.deepEqual(infoOf(note).Recipient, { Group: [{ GroupID: GROUP }] });
  await ackStatus(bob, note);
  assert.deepEqual(await mailboxOfBob(h, bob), { ids: [messageId], count: 1 });
  // carol takes pushes: hers is only queued, and bob's mailbox copy is not hers.
  assert.equal((await pollOne(carol, "NewMessage")).primitive.body.ContentData, "fetch me");

  const got = await bob.send(
    `<GetMessage-Request><MessageID>${messageId}</MessageID></GetMessage-Request>`,
  );
  assert.equal(got.primitive.name, "GetMessage-Response", got.text);
  assert.equal(got.body.ContentData, "fetch me");
  assert.deepEqual(at(got.body, "MessageInfo", "Sender"), {
    Group: { ScreenName: { SName: "Al", GroupID: GROUP } },
  });
  assert.equal((await delivered(bob, messageId)).code, 200);
  assert.equal((await delivered(bob, messageId)).code, 200, "a repeat is answered alike");
  assert.deepEqual(await mailboxOfBob(h, bob), { ids: [], count: 0 });
});

Deno.test("bob's phone takes pushes, his desktop is notified: the group copy is in his mailbox, delivered once", async () => {
  await using h = await startServer();
  const [alice, phone] = await room(h);
  const desktop = h.client("bob", "1.2");
  assert.equal((await desktop.login(PASSWORD)).code, 200);
  await notifyMe(desktop);

  const sent = await sendToGroup(alice, GROUP, "both see it");
  assert.deepEqual(await mailboxOfBob(h, phone), { ids: [sent.body.MessageID], count: 1 });
  assert.equal(infoOf(await pollOne(phone, "NewMessage")).MessageID, sent.body.MessageID);
  assert.equal((await delivered(phone, String(sent.body.MessageID))).code, 200);
  assert.deepEqual(await poll(desktop), [], "delivered on the phone: withdrawn from the desktop");
  assert.deepEqual(await mailboxOfBob(h, phone), { ids: [], count: 0 });
});

Deno.test("a push session that accepts less than the message is notified of it: mailbox copy", async () => {
  await using h = await startServer();
  const [alice, bob] = await room(h);
  const set = await bob.send(
    "<SetDeliveryMethod-Request><DeliveryMethod>P</DeliveryMethod>" +
      "<AcceptedContentLength>5</AcceptedContentLength></SetDeliveryMethod-Request>",
  );
  assert.equal(set.code, 200);
  const sent = await sendToGroup(alice, GROUP, "longer than five");
  assert.equal(infoOf(await pollOne(bob, "MessageNotification")).MessageID, sent.body.MessageID);
  assert.deepEqual(await mailboxOfBob(h, bob), { ids: [sent.body.MessageID], count: 1 });
});

Deno.test("a session ending drops its unconfirmed group copies and nothing else", async () => {
  await using h = await startServer();
  const [alice, phone] = await room(h);
  const desktop = h.client("bob", "1.2");
  assert.equal((await desktop.login(PASSWORD)).code, 200);

  await sendToGroup(alice, GROUP, "to the room");
  const own = await sendOk(alice, [phone.userId], "to bob alone");
  await phone.send("<Logout-Request/>");
  // The desktop is still there, and so are its copies of both (one per poll, in order).
  const onDesktop = [await pollOne(desktop, "NewMessage"), await pollOne(desktop, "NewMessage")];
  assert.deepEqual(
    onDesktop.map((tx) => tx.primitive.body.ContentData),
    ["to the room", "to bob alone"],
  );

  // bob's last session ends unconfirmed: he left the room, and its copy went with the session;
  // his own message waits for his next login.
  await desktop.send("<Logout-Request/>");
  const again = h.client("bob", "1.2");
  assert.equal((await again.login(PASSWORD)).code, 200);
  const back = await pollOne(again, "NewMessage");
  assert.equal(infoOf(back).MessageID, own);
  assert.deepEqual(await mailboxOfBob(h, again), { ids: [own], count: 1 });
  assert.equal((await sendToGroup(alice, GROUP, "anyone?")).code, 200);
  assert.deepEqual(await poll(again), [], "no longer joined");
});

Deno.test("a forward to a group is posted by the forwarder: carol's message reaches the room from bob's screen name, dave outside the room is refused", async () => {
  await using h = await startServer();
  const [alice, bob, carol, dave] = await loggedIn(h, "1.2", "alice", "bob", "carol", "dave");
  assert.equal((await createGroup(alice, GROUP, { join: true, screenName: "Al" })).code, 200);
  await joinOk(bob, GROUP, "Bobby");

  const forward = (client: CspClient, messageId: string) =>
    client.send(
      `<ForwardMessage-Request><MessageID>${messageId}</MessageID><Recipient><Group>` +
        `<GroupID>${GROUP}</GroupID></Group></Recipient></ForwardMessage-Request>`,
    );
  // carol is not in the room; bob is, and passes her message on.
  const fromCarol = await sendOk(carol, [bob.userId], "carol's news");
  await pollOne(bob, "NewMessage");
  const posted = await forward(bob, fromCarol);
  assert.equal(posted.code, 200, posted.text);
  const tx = await pollOne(alice, "NewMessage");
  assert.equal(tx.primitive.body.ContentData, "carol's news");
  assert.deepEqual(infoOf(tx).Sender, {
    Group: { ScreenName: { SName: "Bobby", GroupID: GROUP } },
  });

  // alice is in the room, dave is not: he cannot post her message there.
  const fromAlice = await sendOk(alice, [dave.userId], "alice's note");
  await pollOne(dave, "NewMessage");
  const refused = await forward(dave, fromAlice);
  assert.equal(refused.code, 808, refused.text);
  assert.deepEqual(await poll(bob), [], "nothing reached the room");
});
