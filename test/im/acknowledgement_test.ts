/**
 * Conversations about confirming delivery: several confirmations ride on one poll and cost one
 * commit; confirmations that race for one message settle it once, so its sender hears once.
 */
import assert from "node:assert/strict";
import type { CspTransaction } from "../../src/codec/csp/message.ts";
import { type CspClient, type HarnessOptions, NS, startServer } from "../support/harness.ts";
import { ackStatus, infoOf, poll, pollOne, resultCode, sendOk } from "./im_support.ts";

async function everyone(options: HarnessOptions = {}) {
  const h = await startServer(options);
  const clients = [];
  for (const name of ["alice", "bob"]) await h.addUser(name, "secret");
  for (const name of ["alice", "bob", "bob"]) {
    const client = h.client(name, "1.2");
    await client.login("secret");
    await client.send(
      "<ClientCapability-Request><CapabilityList><MultiTrans>5</MultiTrans></CapabilityList>" +
        "</ClientCapability-Request>",
    );
    clients.push(client);
  }
  const [alice, bob, phone] = clients;
  return { h, alice, bob, phone };
}

const delivered = (tx: CspTransaction) =>
  `<MessageDelivered><MessageID>${infoOf(tx).MessageID}</MessageID></MessageDelivered>`;

/** Several transactions in one CSP message, as a client batching its answers sends them. */
function batch(client: CspClient, transactions: { mode: string; id?: string; xml: string }[]) {
  const ns = NS[client.version];
  return `<WV-CSP-Message xmlns="${ns.csp}"><Session><SessionDescriptor>` +
    `<SessionType>Inband</SessionType><SessionID>${client.sessionId}</SessionID>` +
    "</SessionDescriptor>" +
    transactions.map((t) =>
      `<Transaction><TransactionDescriptor><TransactionMode>${t.mode}</TransactionMode>` +
      `<TransactionID>${t.id ?? ""}</TransactionID></TransactionDescriptor>` +
      `<TransactionContent xmlns="${ns.trc}">${t.xml}</TransactionContent></Transaction>`
    ).join("") + "</Session></WV-CSP-Message>";
}

Deno.test("bob confirms three messages in the message carrying his next poll: one commit", async () => {
  // Counts the commits of the server in this process.
  const { h, alice, bob, phone } = await everyone({ shape: "one" });
  await using _ = h;
  await phone.send("<Logout-Request/>");
  for (const text of ["one", "two", "three"]) await sendOk(alice, [bob.userId], text);
  const handed = await poll(bob);
  assert.deepEqual(handed.map((tx) => tx.primitive.body.ContentData), ["one", "two", "three"]);

  const { stats } = h.server.context.store.commits;
  const commits = stats.commits;
  const answer = await bob.post(batch(bob, [
    ...handed.map((tx) => ({ mode: "Response", id: tx.transactionId, xml: delivered(tx) })),
    { mode: "Request", id: "", xml: "<Polling-Request/>" },
  ]));
  assert.equal(answer.empty, true, "nothing more to hand out");
  assert.equal(stats.commits - commits, 1, "three confirmations, one commit, the poll none");

  const list = await bob.send("<GetMessageList-Request/>");
  assert.deepEqual(list.body.MessageInfoList, {}, "all three left the mailbox");
  assert.deepEqual(await h.server.context.outbox.all(bob.sessionId!), []);
});

Deno.test("bob's two sessions confirm alice's message at the same moment: she hears once", async () => {
  const { h, alice, bob, phone } = await everyone();
  await using _ = h;
  await sendOk(alice, [bob.userId], "seen twice", { report: true });
  const [onLaptop, onPhone] = [
    await pollOne(bob, "NewMessage"),
    await pollOne(phone, "NewMessage"),
  ];

  await Promise.all([
    bob.send(delivered(onLaptop), { mode: "Response", transactionId: onLaptop.transactionId }),
    phone.send(delivered(onPhone), { mode: "Response", transactionId: onPhone.transactionId }),
  ]);

  const reports = await poll(alice);
  assert.deepEqual(reports.map((tx) => tx.primitive.name), ["DeliveryReport-Request"]);
  assert.equal(resultCode(reports[0].primitive.body), 200);
  await ackStatus(alice, reports[0]);
  assert.deepEqual(await poll(alice), []);
});

Deno.test("bob rejects a message while his phone confirms it: alice hears one outcome", async () => {
  const { h, alice, bob, phone } = await everyone();
  await using _ = h;
  const messageId = await sendOk(alice, [bob.userId], "torn", { report: true });
  const onPhone = await pollOne(phone, "NewMessage");

  const [rejected] = await Promise.all([
    bob.send(`<RejectMessage-Request><MessageID>${messageId}</MessageID></RejectMessage-Request>`),
    phone.send(delivered(onPhone), { mode: "Response", transactionId: onPhone.transactionId }),
  ]);

  const reports = await poll(alice);
  assert.equal(reports.length, 1, "one report, whichever came first");
  // The reject is answered 200 only if it is the outcome alice hears.
  const outcome = resultCode(reports[0].primitive.body);
  assert.equal(outcome, rejected.code === 200 ? 538 : 200);
});

Deno.test("bob and carol each confirm alice's message twice: 200 both times; dave, who never had it, gets 426", async () => {
  await using h = await startServer();
  for (const name of ["alice", "bob", "carol", "dave"]) await h.addUser(name, "secret");
  const [alice, bob, carol, dave] = ["alice", "bob", "carol", "dave"].map((name) =>
    h.client(name, "1.2")
  );
  for (const client of [alice, bob, carol, dave]) await client.login("secret");
  const messageId = await sendOk(alice, [bob.userId, carol.userId], "to both");
  const confirm = (client: CspClient) =>
    client.send(`<MessageDelivered><MessageID>${messageId}</MessageID></MessageDelivered>`);

  for (const client of [bob, carol]) assert.equal((await confirm(client)).code, 200);
  for (const client of [carol, bob]) {
    assert.equal((await confirm(client)).code, 200, `${client.userId} retries`);
  }
  assert.equal((await confirm(dave)).code, 426, "not dave's message");
});

Deno.test("alice polls and then confirms in one message: the answer's Poll counts the report her confirmation queued", async () => {
  await using h = await startServer();
  await h.addUser("alice", "secret");
  const alice = h.client("alice", "1.2");
  await alice.login("secret");
  await sendOk(alice, [alice.userId], "note to self", { report: true });
  await sendOk(alice, [alice.userId], "second note", { report: true });
  const first = await pollOne(alice, "NewMessage");

  const answer = await alice.post(batch(alice, [
    { mode: "Request", id: "", xml: "<Polling-Request/>" },
    { mode: "Response", id: first.transactionId, xml: delivered(first) },
  ]));
  assert.deepEqual(answer.message!.transactions.map((tx) => tx.primitive.body.ContentData), [
    "second note",
  ]);
  assert.equal(answer.poll, true, "the report of the first note waits");
  assert.deepEqual((await poll(alice)).map((tx) => tx.primitive.name), ["DeliveryReport-Request"]);
});
