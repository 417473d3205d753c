/**
 * When a wake-up cannot go the client's first way: the next agreed method, then polling, and
 * nothing lost; and a restart of the server with CIR sessions alive.
 */
import assert from "node:assert/strict";
import { CAPABILITIES, StcpClient, UdpReceiver } from "../support/cir.ts";
import { loggedIn, startServer } from "../support/harness.ts";
import { ackDelivered, pollOne, sendOk } from "../im/im_support.ts";
import { at, element } from "../support/body_reader.ts";

const encoder = new TextDecoder();

Deno.test("bob's STCP socket dies: the next wake-up comes by his next agreed method, SUDP", async () => {
  await using h = await startServer({
    overHttp: true,
    env: { IMPS_CIR_TCP_PORT: "0", IMPS_CIR_UDP: "true", IMPS_CIR_MIN_GAP_MS: "0" },
  });
  const [alice, bob] = await loggedIn(h, "1.2", "alice", "bob");
  const phone = await UdpReceiver.bind();
  try {
    const reply = await bob.send(CAPABILITIES.nokia(["STCP", "SUDP"], phone.port));
    const agreed = element(reply.body, "AgreedCapabilityList");
    assert.deepEqual(agreed.SupportedCIRMethod, ["STCP", "SUDP"], "in bob's order");
    const cir = await StcpClient.helo(Number(agreed.TCPPort), bob.sessionId!);

    await sendOk(alice, [bob.userId], "over TCP");
    assert.equal(await cir.line(), "WVCI 1.2 bob-cookie");
    await ackDelivered(bob, await pollOne(bob, "NewMessage"));
    assert.equal(phone.count, 0, "no datagram while the socket lives");

    cir.close();
    await new Promise((r) => setTimeout(r, 100));
    await sendOk(alice, [bob.userId], "over UDP");
    assert.equal(encoder.decode((await phone.next()).bytes), "WVCI 1.2 bob-cookie");
    await ackDelivered(bob, await pollOne(bob, "NewMessage"));
  } finally {
    await phone.close();
  }
});

Deno.test("an SMS gateway that is down falls back to the next method", async () => {
  const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const deadUrl = `http://127.0.0.1:${(closed.addr as Deno.NetAddr).port}/cgi-bin/sendsms`;
  closed.close();
  await using h = await startServer({
    overHttp: true,
    env: { IMPS_SMS_URL: deadUrl, IMPS_CIR_UDP: "true" },
  });
  const [alice, bob] = await loggedIn(h, "1.2", "alice", "bob");
  await h.server.context.users.setMsisdn(bob.userId, "+447700900009");
  const phone = await UdpReceiver.bind();
  const logged: string[] = [];
  const warn = console.warn;
  console.warn = (message: string) => logged.push(message);
  try {
    await bob.send(CAPABILITIES.nokia(["WAPSMS", "SUDP"], phone.port));
    await sendOk(alice, [bob.userId], "the gateway is down");
    assert.equal(encoder.decode((await phone.next()).bytes), "WVCI 1.2 bob-cookie");
    assert.match(logged.join("\n"), /warn WAPSMS wake-up failed: SMS gateway unreachable/);
    const metrics = await h.server.context.metrics.text();
    assert.match(metrics, /^imps_cir_wakeups_total\{method="WAPSMS",result="failed"\} 1$/m);
    assert.match(metrics, /^imps_cir_wakeups_total\{method="SUDP",result="sent"\} 1$/m);
  } finally {
    console.warn = warn;
    await phone.close();
  }
});

Deno.test("no agreed method reaches bob: 1.3 answers say CIR F, he polls, nothing is lost", async () => {
  await using h = await startServer({ overHttp: true, env: { IMPS_CIR_TCP_PORT: "0" } });
  const [alice, bob] = await loggedIn(h, "1.3", "alice", "bob");
  const reply = await bob.send(CAPABILITIES.android(["STCP"]));
  assert.equal(reply.message!.cir, true, "nothing failed yet");
  // Bob's phone never connects its STCP socket.
  await sendOk(alice, [bob.userId], "are you polling?");
  await new Promise((r) => setTimeout(r, 100));
  const polled = await bob.send("<Polling-Request/>", { transactionId: "" });
  assert.equal(polled.message!.cir, false);
  assert.equal(polled.primitive.name, "NewMessage");

  // He connects again: CIR works, and the next wake-up comes.
  const cir = await StcpClient.helo(h.server.cir!.stcp!.port, bob.sessionId!);
  const keepAlive = await bob.send("<KeepAlive-Request/>");
  assert.equal(keepAlive.message!.cir, true);
  await sendOk(alice, [bob.userId], "now by TCP");
  assert.equal(await cir.line(), "WVCI 1.3 bob-cookie");
  cir.close();
});

Deno.test("the server restarts with CIR sessions alive: phones HELO again and are woken; URLs still answer", async () => {
  const dir = await Deno.makeTempDir();
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const tcpPort = (probe.addr as Deno.NetAddr).port;
  probe.close();
  const env = {
    IMPS_DATA: `${dir}/imps.kv`,
    IMPS_CIR_TCP_PORT: String(tcpPort),
    IMPS_CIR_HTTP: "true",
  };
  try {
    let bobSession: string, carolUrl: string, before: StcpClient;
    {
      await using h = await startServer({ overHttp: true, env });
      const [, bob, carol] = await loggedIn(h, "1.2", "alice", "bob", "carol");
      await bob.send(CAPABILITIES.android(["STCP"]));
      const shttp = await carol.send(CAPABILITIES.android(["SHTTP"]));
      carolUrl = String(at(shttp.body, "AgreedCapabilityList", "CIRURL", "URL"));
      before = await StcpClient.helo(tcpPort, bob.sessionId!);
      bobSession = bob.sessionId!;
    }
    await before.closed;
    await using h = await startServer({ overHttp: true, env });
    const alice = h.client("alice", "1.2");
    await alice.login("pw");
    const bob = h.client("bob", "1.2");
    bob.sessionId = bobSession;
    // Android reconnects after a broken socket, says HELO and polls.
    const cir = await StcpClient.helo(tcpPort, bobSession);
    await sendOk(alice, [bob.userId, `wv:carol@${h.config.domain}`], "after the restart");
    assert.equal(await cir.line(), "WVCI 1.2 bob-cookie");
    await pollOne(bob, "NewMessage");
    // Carol's URL lives on the new server's port, under the same token.
    const url = carolUrl.replace(/:\d+\/cir\//, `:${new URL((await probeUrl(h)).url).port}/cir/`);
    assert.equal((await fetch(url)).status, 200);
    cir.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

async function probeUrl(h: { transport: (b: string, t: string) => Promise<Response> }) {
  const response = await h.transport("", "text/plain");
  await response.body?.cancel();
  return response;
}
