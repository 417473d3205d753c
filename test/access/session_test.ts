/** Conversations about a session's life: keep-alive, polling, logout, expiry and restarts. */
import assert from "node:assert/strict";
import { RESEND_AFTER_MS } from "../../src/store/outbox.ts";
import { startServer, VERSIONS } from "../support/harness.ts";

const keepAlive = (ttl?: number) =>
  `<KeepAlive-Request>${
    ttl === undefined ? "" : `<TimeToLive>${ttl}</TimeToLive>`
  }</KeepAlive-Request>`;
const POLL = "<Polling-Request/>";

for (const version of VERSIONS) {
  Deno.test(`${version}: alice keeps her session alive within the server's bounds`, async () => {
    await using h = await startServer({ env: { IMPS_TTL_MIN: "60", IMPS_TTL_MAX: "1200" } });
    await h.addUser("alice", "secret");
    const alice = h.client("alice", version);
    await alice.login("secret");

    const within = await alice.send(keepAlive(900));
    assert.equal(within.primitive.name, "KeepAlive-Response");
    assert.equal(within.code, 200);
    assert.equal(within.body.KeepAliveTime, 900);

    assert.equal((await alice.send(keepAlive(86400))).body.KeepAliveTime, 1200);
    assert.equal((await alice.send(keepAlive(5))).body.KeepAliveTime, 60);
    assert.equal((await alice.send(keepAlive())).body.KeepAliveTime, 60, "no TimeToLive keeps it");
    assert.equal(within.poll, false, "Poll=F while nothing waits");
  });

  Deno.test(`${version}: alice polls, gets an empty answer, then what the server queued`, async () => {
    await using h = await startServer();
    await h.addUser("alice", "secret");
    const alice = h.client("alice", version);
    await alice.login("secret");

    const nothing = await alice.send(POLL, { transactionId: "" });
    assert.equal(nothing.http.status, 200);
    assert.equal(nothing.empty, true);

    await h.server.context.outbox.enqueue(alice.sessionId!, {
      primitive: { name: "Disconnect", body: { Result: { Code: 601, Description: "test" } } },
    });
    const flagged = await alice.send(keepAlive());
    assert.equal(flagged.poll, true, "Poll=T once something waits");
    const placement = version === "1.1"
      ? /<TransactionDescriptor>.*<Poll>T<\/Poll><\/TransactionDescriptor>/s
      : /<\/Transaction><Poll>T<\/Poll><\/Session>/s;
    assert.match(flagged.text, placement);

    const delivered = await alice.send(POLL, { transactionId: "" });
    const tx = delivered.message!.transactions[0];
    assert.equal(tx.mode, "Request");
    assert.equal(tx.primitive.name, "Disconnect");
    assert.equal(delivered.poll, false, "in flight, so nothing more to fetch");

    const ack = await alice.send("<Status><Result><Code>200</Code></Result></Status>", {
      mode: "Response",
      transactionId: tx.transactionId,
    });
    assert.equal(ack.empty, true, "an acknowledgement gets an empty answer");
    assert.deepEqual(await h.server.context.outbox.all(alice.sessionId!), []);
  });

  Deno.test(`${version}: alice logs out and her session is gone (604 afterwards)`, async () => {
    await using h = await startServer();
    await h.addUser("alice", "secret");
    const alice = h.client("alice", version);
    await alice.login("secret");

    const bye = await alice.send("<Logout-Request/>");
    assert.equal(bye.primitive.name, version === "1.1" ? "Disconnect" : "Status");
    assert.equal(bye.code, 200);
    assert.equal(bye.poll, undefined);

    const after = await alice.send(keepAlive());
    assert.equal(after.primitive.name, "Status");
    assert.equal(after.code, 604);
  });
}

Deno.test("an unacknowledged transaction is handed out again, never lost", async () => {
  await using h = await startServer();
  await h.addUser("alice", "secret");
  const alice = h.client("alice", "1.2");
  await alice.login("secret");
  const { outbox } = h.server.context;
  await outbox.enqueue(alice.sessionId!, { primitive: { name: "Status", body: {} } });

  const first = await alice.send(POLL, { transactionId: "" });
  const id = first.message!.transactions[0].transactionId;
  assert.equal((await alice.send(POLL, { transactionId: "" })).empty, true, "in flight for now");

  const later = await outbox.deliverable(alice.sessionId!, Date.now() + RESEND_AFTER_MS, 1);
  assert.equal(later[0]?.seq, id, "due again once the resend time has passed");
});

Deno.test("a client that accepts several transactions gets several per poll", async () => {
  await using h = await startServer();
  await h.addUser("alice", "secret");
  const alice = h.client("alice", "1.2");
  await alice.login("secret");
  await alice.send(
    "<ClientCapability-Request><CapabilityList><MultiTrans>2</MultiTrans></CapabilityList></ClientCapability-Request>",
  );
  for (let i = 0; i < 3; i++) {
    await h.server.context.outbox.enqueue(alice.sessionId!, {
      primitive: { name: "Status", body: {} },
    });
  }

  const reply = await alice.send(POLL, { transactionId: "" });

  assert.equal(reply.message!.transactions.length, 2);
  assert.equal(reply.poll, true, "a third still waits");
});

Deno.test("requests without a session get 604, an unknown session 604, an expired one 600", async () => {
  await using h = await startServer({ env: { IMPS_TTL_MIN: "1", IMPS_TTL_DEFAULT: "1" } });
  await h.addUser("alice", "secret");
  const alice = h.client("alice", "1.2");

  const outband = await alice.send(keepAlive(), { outband: true });
  assert.equal(outband.code, 604);
  assert.equal(outband.poll, undefined);

  alice.sessionId = "00000000000000000000000000000000";
  assert.equal((await alice.send(keepAlive())).code, 604);

  await alice.send(
    `<Login-Request><UserID>alice</UserID><ClientID><URL>http://c</URL></ClientID>` +
      `<Password>secret</Password><TimeToLive>1</TimeToLive></Login-Request>`,
    { outband: true },
  ).then((r) => (alice.sessionId = String(r.body.SessionID)));
  await new Promise((r) => setTimeout(r, 1100));
  assert.equal((await alice.send(keepAlive())).code, 600);
  assert.equal((await alice.send(keepAlive())).code, 600, "still told it expired");
});

Deno.test("the sweeper ends expired sessions and tells the end hooks why", async () => {
  await using h = await startServer();
  await h.addUser("alice", "secret");
  const ended: string[] = [];
  h.server.context.sessions.onEnd((s, reason) =>
    Promise.resolve(void ended.push(`${s.userId} ${reason}`))
  );
  await h.client("alice", "1.2").login("secret");

  assert.equal(await h.server.context.sessions.sweep(Date.now()), 0);
  assert.equal(await h.server.context.sessions.sweep(Date.now() + 601_000), 1, "600 s ran out");
  assert.deepEqual(ended, ["wv:alice@example.com expired"]);
});

Deno.test("a session removed by the operator gets Disconnect 601 once, then 604", async () => {
  await using h = await startServer();
  await h.addUser("alice", "secret");
  const alice = h.client("alice", "1.2");
  await alice.login("secret");

  await h.server.context.sessions.disconnectUser(alice.userId, 601, "Account removed");
  const told = await alice.send(keepAlive());
  assert.equal(told.primitive.name, "Disconnect");
  assert.equal(told.message!.transactions[0].mode, "Request");
  assert.equal(told.code, 601);

  assert.equal((await alice.send(keepAlive())).code, 604);
});

Deno.test("sessions and queued transactions survive a server restart", async () => {
  const dir = await Deno.makeTempDir();
  const env = { IMPS_DATA: `${dir}/imps.kv` };
  try {
    const alice = await (async () => {
      await using h = await startServer({ env });
      await h.addUser("alice", "secret");
      const client = h.client("alice", "1.2");
      await client.login("secret");
      await h.server.context.outbox.enqueue(client.sessionId!, {
        primitive: { name: "Status", body: { Result: { Code: 200 } } },
      });
      return client;
    })();

    await using restarted = await startServer({ env });
    const again = restarted.client("alice", "1.2");
    again.sessionId = alice.sessionId;
    const alive = await again.send(keepAlive());
    assert.equal(alive.code, 200);
    assert.equal(alive.poll, true);
    const polled = await again.send(POLL, { transactionId: "" });
    assert.equal(polled.message!.transactions[0].primitive.name, "Status");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an acknowledgement on a made-up, missing or ended session gets 604, not an empty 200", async () => {
  await using h = await startServer();
  await h.addUser("alice", "secret");
  const alice = h.client("alice", "1.2");
  await alice.login("secret");
  const ack = (client: typeof alice) =>
    client.send("<MessageDelivered><MessageID>m1</MessageID></MessageDelivered>", {
      mode: "Response",
      transactionId: "m1",
    });

  const real = alice.sessionId!;
  alice.sessionId = "0123456789abcdef0123456789abcdef";
  const madeUp = await ack(alice);
  assert.equal(madeUp.primitive.name, "Status");
  assert.equal(madeUp.code, 604);
  assert.equal(madeUp.message!.transactions[0].transactionId, "m1");

  alice.sessionId = undefined;
  assert.equal((await ack(alice)).code, 604, "no SessionID at all");

  alice.sessionId = real;
  assert.equal((await alice.send("<Logout-Request/>")).code, 200);
  assert.equal((await ack(alice)).code, 604, "logged out");
});
