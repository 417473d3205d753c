/** Conversations over STCP: phones woken by `WVCI` lines on their own TCP connection. */
import assert from "node:assert/strict";
import type { ElementObject } from "../../src/codec/csp/message.ts";
import { CAPABILITIES, haveOpenssl, makeCertificates, StcpClient, within } from "../support/cir.ts";
import { type CspClient, type Harness, loggedIn, startServer } from "../support/harness.ts";
import { ackDelivered, ackStatus, pollOne, sendOk } from "../im/im_support.ts";
import { element } from "../support/body_reader.ts";

const STCP_ENV = { IMPS_CIR_TCP_PORT: "0", IMPS_CIR_TCP_HOST: "127.0.0.1" };

async function stcpServer(env: Record<string, string> = {}): Promise<Harness> {
  return await startServer({ overHttp: true, env: { ...STCP_ENV, ...env } });
}

/** Bob agrees Android's capabilities; the agreed list. */
async function agree(client: CspClient, methods?: string[]): Promise<ElementObject> {
  const reply = await client.send(CAPABILITIES.android(methods));
  assert.equal(reply.primitive.name, "ClientCapability-Response", reply.text);
  return element(reply.body.AgreedCapabilityList ?? reply.body.CapabilityList);
}

Deno.test("bob's Android agrees STCP, says HELO, and is woken within milliseconds of alice's message", async () => {
  await using h = await stcpServer();
  const [alice, bob] = await loggedIn(h, "1.2", "alice", "bob");
  const agreed = await agree(bob);
  assert.deepEqual(agreed.SupportedCIRMethod, ["STCP"], "SSMS and SHTTP are not enabled");
  assert.equal(agreed.TCPAddress, "127.0.0.1");
  assert.equal(agreed.TCPPort, h.server.cir!.stcp!.port);

  const cir = await StcpClient.helo(Number(agreed.TCPPort), bob.sessionId!);
  const sentAt = performance.now();
  await sendOk(alice, [bob.userId], "Lunch?");
  assert.equal(await cir.line(), "WVCI 1.2 bob-cookie");
  const latency = performance.now() - sentAt;
  assert.ok(latency < 500, `woken after ${latency.toFixed(1)} ms`);
  const metrics = await h.server.context.metrics.text();
  assert.match(metrics, /^imps_cir_wakeups_total\{method="STCP",result="sent"\} 1$/m);
  assert.match(metrics, /^imps_sessions\{version="1\.2",cir="STCP"\} 1$/m, "bob's session");
  assert.match(metrics, /^imps_sessions\{version="1\.2",cir="none"\} 1$/m, "alice polls");

  const message = await pollOne(bob, "NewMessage");
  assert.equal((await ackDelivered(bob, message)).http.status, 200);
  // Nothing more waits: no second wake-up for the same message.
  await assert.rejects(cir.line(400), /no line/);
  cir.close();
});

Deno.test("not only messages: a presence change of someone bob watches wakes him too", async () => {
  await using h = await stcpServer({ IMPS_PRESENCE_AUTOGRANT: "true" });
  const [alice, bob] = await loggedIn(h, "1.2", "alice", "bob");
  const port = Number((await agree(bob)).TCPPort);
  await bob.send(
    `<SubscribePresence-Request><User><UserID>${alice.userId}</UserID></User>` +
      `</SubscribePresence-Request>`,
  );
  const cir = await StcpClient.helo(port, bob.sessionId!);
  assert.equal(await cir.line(), "WVCI 1.2 bob-cookie", "the first notification waits");
  const first = await pollOne(bob, "PresenceNotification-Request");
  await ackStatus(bob, first);

  await alice.send(
    `<UpdatePresence-Request><PresenceSubList xmlns="http://www.openmobilealliance.org/DTD/WV-PA1.2">` +
      `<StatusText><Qualifier>T</Qualifier><PresenceValue>at lunch</PresenceValue></StatusText>` +
      `</PresenceSubList></UpdatePresence-Request>`,
  );
  assert.equal(await cir.line(), "WVCI 1.2 bob-cookie");
  await pollOne(bob, "PresenceNotification-Request");
  cir.close();
});

Deno.test("told once for two messages, bob is told again of what still waits once he is answered", async () => {
  await using h = await stcpServer({ IMPS_CIR_MIN_GAP_MS: "0" });
  const [alice, bob] = await loggedIn(h, "1.2", "alice", "bob");
  const cir = await StcpClient.helo(Number((await agree(bob)).TCPPort), bob.sessionId!);
  await sendOk(alice, [bob.userId], "one");
  assert.equal(await cir.line(), "WVCI 1.2 bob-cookie");
  await sendOk(alice, [bob.userId], "two");
  await assert.rejects(cir.line(300), /no line/, "he knows something waits: not told twice");

  // His answer may have been built before "two" was committed: he is told again.
  await bob.send("<KeepAlive-Request/>");
  assert.equal(await cir.line(), "WVCI 1.2 bob-cookie");
  // Once he has it all, answers tell him nothing more.
  await ackDelivered(bob, await pollOne(bob, "NewMessage"));
  await ackDelivered(bob, await pollOne(bob, "NewMessage"));
  await assert.rejects(cir.line(300), /no line/);
  cir.close();
});

Deno.test("a HELO while something waits is answered OK and a WVCI at once", async () => {
  await using h = await stcpServer();
  const [alice, bob] = await loggedIn(h, "1.3", "alice", "bob");
  const agreed = await agree(bob);
  await sendOk(alice, [bob.userId], "sent while bob's socket was down");

  const cir = await StcpClient.helo(Number(agreed.TCPPort), bob.sessionId!);
  assert.equal(await cir.line(), "WVCI 1.3 bob-cookie");
  cir.close();
});

Deno.test("PING is answered OK; a HELO for another session, an unknown one, or garbage closes the socket", async () => {
  await using h = await stcpServer();
  const [bob, carol] = await loggedIn(h, "1.2", "bob", "carol");
  const port = Number((await agree(bob)).TCPPort);

  const cir = await StcpClient.helo(port, bob.sessionId!);
  await cir.send("PING \r\n"); // Android's spelling
  assert.equal(await cir.line(), "OK");
  await cir.send("PING\r\n"); // Nokia's
  assert.equal(await cir.line(), "OK");
  await cir.send(`HELO ${carol.sessionId}\r\n`);
  await cir.closed;

  for (const hostile of ["HELO 0123456789abcdef0123456789abcdef\r\n", "GET / HTTP/1.1\r\n"]) {
    const stranger = await StcpClient.connect(port);
    await stranger.send(hostile);
    assert.ok(await within(stranger.closed, 2000), `closed after ${JSON.stringify(hostile)}`);
  }
  // Carol never agreed STCP: her own HELO is refused too.
  const unagreed = await StcpClient.connect(port);
  await unagreed.send(`HELO ${carol.sessionId}\r\n`);
  assert.ok(await within(unagreed.closed, 2000));
});

Deno.test("a new HELO replaces the old connection; the new one is woken", async () => {
  await using h = await stcpServer();
  const [alice, bob] = await loggedIn(h, "1.2", "alice", "bob");
  const port = Number((await agree(bob)).TCPPort);
  const first = await StcpClient.helo(port, bob.sessionId!);
  const second = await StcpClient.helo(port, bob.sessionId!);
  assert.ok(await within(first.closed, 2000), "the first connection is closed");

  await sendOk(alice, [bob.userId], "hi");
  assert.equal(await second.line(), "WVCI 1.2 bob-cookie");
  second.close();
});

Deno.test("a connection that says nothing is closed after the HELO time; one that stops pinging after the idle time", async () => {
  await using h = await stcpServer({ IMPS_CIR_HELO_TIMEOUT: "1", IMPS_CIR_IDLE_TIMEOUT: "2" });
  const [bob] = await loggedIn(h, "1.2", "bob");
  const port = Number((await agree(bob)).TCPPort);
  const silent = await StcpClient.connect(port);
  const started = Date.now();
  assert.ok(await within(silent.closed, 4000));
  assert.ok(Date.now() - started >= 900, "not before the HELO time");

  const pinging = await StcpClient.helo(port, bob.sessionId!);
  const helloAt = Date.now();
  await new Promise((r) => setTimeout(r, 1500));
  await pinging.send("PING\r\n");
  assert.equal(await pinging.line(), "OK", "a PING keeps the connection past the idle time");
  await pinging.closed;
  assert.ok(Date.now() - helloAt >= 3000, "closed only once silent for the idle time");
});

Deno.test("connections from one address are bounded; hostile HELO streams cost only their sender", async () => {
  await using h = await stcpServer({ IMPS_CIR_TCP_PER_IP: "3" });
  const [alice, bob] = await loggedIn(h, "1.2", "alice", "bob");
  const port = Number((await agree(bob)).TCPPort);
  const held = [await StcpClient.connect(port), await StcpClient.connect(port)];
  const bobs = await StcpClient.helo(port, bob.sessionId!);
  const fourth = await StcpClient.connect(port);
  assert.ok(await within(fourth.closed, 2000), "over the bound: closed at once");

  // The two idle ones send guessed session ids until they are turned away; bob is still woken.
  for (const socket of held) {
    await socket.send(`HELO ${"f".repeat(32)}\r\n`);
    await socket.closed;
  }
  await sendOk(alice, [bob.userId], "still here?");
  assert.equal(await bobs.line(), "WVCI 1.2 bob-cookie");
  bobs.close();
});

Deno.test("an address whose HELOs keep failing is turned away for a while", async () => {
  await using h = await stcpServer();
  const [bob] = await loggedIn(h, "1.2", "bob");
  const port = Number((await agree(bob)).TCPPort);
  for (let i = 0; i < 10; i++) {
    const guess = await StcpClient.connect(port);
    await guess.send(`HELO ${i.toString(16).padStart(32, "0")}\r\n`);
    await guess.closed;
  }
  // Even a good HELO from that address is not heard now: the price of sharing an address with
  // a guesser (the budget refills at one a minute, and other addresses keep theirs).
  const refused = await StcpClient.connect(port);
  await refused.send(`HELO ${bob.sessionId}\r\n`).catch(() => {});
  await assert.rejects(refused.line(2000), /closed/);
});

const openssl = await haveOpenssl("the STCP-over-TLS conversation");

Deno.test({
  name: "with IMPS_CIR_TCP_TLS the STCP listener speaks TLS with the server's certificate",
  ignore: !openssl,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      await makeCertificates(dir);
      await using h = await stcpServer({
        IMPS_TLS_CERT: `${dir}/cert.pem`,
        IMPS_TLS_KEY: `${dir}/key.pem`,
        IMPS_CIR_TCP_TLS: "true",
      });
      const [alice, bob] = await loggedIn(h, "1.2", "alice", "bob");
      const port = Number((await agree(bob)).TCPPort);
      const ca = await Deno.readTextFile(`${dir}/ca.pem`);
      const cir = await StcpClient.helo(port, bob.sessionId!, [ca]);
      await sendOk(alice, [bob.userId], "over TLS");
      assert.equal(await cir.line(), "WVCI 1.2 bob-cookie");
      cir.close();

      // A client speaking plain TCP to it gets nowhere, and costs nothing past the HELO time.
      const plain = await StcpClient.connect(port);
      await plain.send(`HELO ${bob.sessionId}\r\n`);
      assert.ok(await within(plain.closed, 15_000));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
