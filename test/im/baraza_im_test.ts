/**
 * The messaging and blocking requests captured from Baraza's clients (fixtures 024-039, 066, 078)
 * replayed against this server, with its own session and message ids put in. Answers match
 * Baraza's primitive and code, except where this server decided otherwise: a send refused by
 * its only recipient is answered with that recipient's code (532), where Baraza says 900.
 * Skipped, with a note, when the shared fixtures are absent.
 */
import assert from "node:assert/strict";
import {
  capturedAnswer,
  capturedMessageId,
  capturedSession,
  haveBarazaFixtures,
  readFixture,
} from "../support/baraza.ts";
import { type CspClient, startServer } from "../support/harness.ts";
import { at, nodes } from "../support/body_reader.ts";

const haveFixtures = await haveBarazaFixtures("IM interop");

Deno.test({
  name: "Baraza's captured messaging conversation gets Baraza's answers",
  ignore: !haveFixtures,
  async fn() {
    await using h = await startServer({ env: { IMPS_DOMAIN: "a.test" } });
    const clients = new Map<string, CspClient>();
    for (const name of ["alice", "bob", "dave", "erin"]) {
      await h.addUser(name, "secret");
      clients.set(name, h.client(name, "1.2"));
    }
    for (const name of ["alice", "bob", "erin"]) await clients.get(name)!.login("secret");
    /** Captured MessageIDs mapped to the ones this server issued for the same message. */
    const messageIds = new Map<string, string>();

    const exchange = async (fixture: string, user: string, replace: [string, string][] = []) => {
      let request = await readFixture(`${fixture}.request.xml`);
      const client = clients.get(user)!;
      request = request.replace(capturedSession(request), client.sessionId!);
      const captured = capturedMessageId(request);
      if (captured && messageIds.has(captured)) {
        request = request.replaceAll(captured, messageIds.get(captured)!);
      }
      for (const [from, to] of replace) request = request.replace(from, to);
      const reply = await client.post(request);
      const expectedXml = await readFixture(`${fixture}.response.xml`);
      const capturedAnswerId = capturedMessageId(expectedXml);
      const ourId = reply.message
        ? (at(reply.body, "MessageInfo", "MessageID") ?? reply.body.MessageID)
        : undefined;
      if (capturedAnswerId && ourId && !messageIds.has(capturedAnswerId)) {
        messageIds.set(capturedAnswerId, String(ourId));
      }
      return { reply, expected: capturedAnswer(expectedXml) };
    };
    const same = async (fixture: string, user: string) => {
      const { reply, expected } = await exchange(fixture, user);
      assert.equal(reply.primitive.name, expected.primitive, fixture);
      if (expected.code !== undefined) assert.equal(reply.code, expected.code, fixture);
      return reply;
    };

    await same("024-sendmessage-deliveryreport", "alice");
    const pushed = await same("025-poll-newmessage", "bob");
    assert.equal(pushed.body.ContentData, "Hello Bob");
    await same("026-messagedelivered", "bob");
    const report = await same("027-poll-deliveryreport", "alice");
    const reportTid = report.message!.transactions[0].transactionId!;
    const ackRequest = await readFixture("028-status-ack-deliveryreport.request.xml");
    const capturedTid = ackRequest.match(/<TransactionID>\s*([^<\s]+)\s*<\/TransactionID>/)![1];
    const ack = await exchange("028-status-ack-deliveryreport", "alice", [[
      capturedTid,
      reportTid,
    ]]);
    assert.equal(ack.reply.empty, true, "028: a Response transaction gets an empty body");

    await same("029-sendmessage-second", "alice");
    // Baraza answers a poll with its own TransactionID as a Response (030); this server hands
    // server-originated transactions out as Requests in every case.
    const second = await exchange("030-poll-with-transactionid", "bob");
    assert.equal(second.reply.primitive.name, "NewMessage");
    await same("031-messagedelivered-second", "bob");

    await same("032-sendmessage-offline", "alice");
    await clients.get("dave")!.login("secret");
    const list = await same("034-getmessagelist", "dave");
    assert.equal(
      nodes(list.body, "MessageInfoList", "MessageInfo").length,
      1,
    );
    const fetched = await same("035-getmessage", "dave");
    assert.equal(fetched.body.ContentData, "Hi Dave, read this later");
    await same("036-messagedelivered-offline", "dave");

    await same("037-blockentity", "bob");
    await same("038-getblockedlist", "bob");
    const blocked = await exchange("039-sendmessage-blocked", "erin");
    assert.equal(blocked.reply.primitive.name, "SendMessage-Response");
    assert.equal(blocked.expected.code, 900);
    assert.equal(blocked.reply.code, 532, "our decision: the single recipient's code");
    assert.equal(blocked.reply.body.MessageID, undefined);

    await same("066-error-missing-messageinfo", "alice");
  },
});

Deno.test({
  name: "Baraza's captured 1.3 SendMessage gets Baraza's answer",
  ignore: !haveFixtures,
  async fn() {
    await using h = await startServer({ env: { IMPS_DOMAIN: "a.test" } });
    await h.addUser("alice", "secret");
    await h.addUser("bob", "secret");
    const alice = h.client("alice", "1.3");
    await alice.login("secret");
    let request = await readFixture("078-csp13-sendmessage.request.xml");
    request = request.replace(capturedSession(request), alice.sessionId!);
    const reply = await alice.post(request);
    assert.equal(reply.primitive.name, "SendMessage-Response");
    assert.equal(reply.code, 200);
    assert.match(String(reply.body.MessageID), /^[0-9a-f]{22}$/);
  },
});
