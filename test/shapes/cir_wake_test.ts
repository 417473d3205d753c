/**
 * CIR across instances: two server processes share one KV file (IMPS_SHARED), each with its own
 * STCP listener. Bob's phone agrees STCP with instance 1 and keeps its connection there; alice
 * writes through instance 2, whose commit is the only one to know of the message: instance 1
 * must still wake bob, and bob polls and acknowledges through either instance.
 */
import assert from "node:assert/strict";
import { runAdmin } from "../../src/admin.ts";
import { element } from "../support/body_reader.ts";
import { CAPABILITIES, StcpClient } from "../support/cir.ts";
import { CspClient, PASSWORD } from "../support/harness.ts";
import { type ServerProcess, spawnServer } from "../support/process.ts";
import { ackDelivered, pollOne, sendOk } from "../im/im_support.ts";

const DOMAIN = "example.com";

function clientOf(name: string, server: ServerProcess): CspClient {
  return new CspClient(
    name,
    "1.2",
    (body, type) =>
      fetch(`${server.url}/csp`, { method: "POST", body, headers: { "content-type": type } }),
    DOMAIN,
  );
}

Deno.test("bob's STCP channel is on instance 1; alice writes through instance 2: bob is woken, again and again", async () => {
  const dir = await Deno.makeTempDir();
  const env = {
    IMPS_DATA: `${dir}/imps.kv`,
    IMPS_DOMAIN: DOMAIN,
    IMPS_SECRET: "test-secret-0123456789",
    IMPS_SHARED: "true",
    IMPS_CIR_TCP_PORT: "0",
    IMPS_CIR_TCP_HOST: "127.0.0.1",
    IMPS_CIR_MIN_GAP_MS: "0",
  };
  const admin = { password: () => Promise.resolve(PASSWORD), warn() {} };
  for (const name of ["alice", "bob"]) await runAdmin(["user", "add", name], env, admin);
  const [one, two] = await Promise.all([spawnServer(env), spawnServer(env)]);
  let cir: StcpClient | undefined;
  try {
    const bob = clientOf("bob", one);
    const alice = clientOf("alice", two);
    assert.equal((await bob.login(PASSWORD)).code, 200);
    assert.equal((await alice.login(PASSWORD)).code, 200);
    const agreed = element(
      (await bob.send(CAPABILITIES.android(["STCP"]))).body,
      "AgreedCapabilityList",
    );
    assert.deepEqual(agreed.SupportedCIRMethod, ["STCP"]);
    cir = await StcpClient.helo(Number(agreed.TCPPort), bob.sessionId!);
    // bob's later requests go to instance 2: only his channel stays on instance 1.
    const bobViaTwo = clientOf("bob", two);
    bobViaTwo.sessionId = bob.sessionId;

    const latencies: number[] = [];
    for (let i = 0; i < 5; i++) {
      const sentAt = performance.now();
      await sendOk(alice, [bob.userId], `message ${i}`);
      assert.equal(await cir.line(3_000), "WVCI 1.2 bob-cookie", `wake-up ${i}`);
      latencies.push(performance.now() - sentAt);
      const message = await pollOne(bobViaTwo, "NewMessage");
      assert.equal((await ackDelivered(bobViaTwo, message)).http.status, 200);
    }
    // Nothing more waits: no further wake-up.
    await assert.rejects(cir.line(400), /no line/);
    latencies.sort((a, b) => a - b);
    console.log(`cross-instance STCP wake-up, send to WVCI: median ${latencies[2].toFixed(1)} ms`);
  } finally {
    cir?.close();
    await Promise.all([one.stop(), two.stop()]);
    await Deno.remove(dir, { recursive: true });
  }
});
