/**
 * Cross-instance wake-ups by `kv.watch` (IMPS_SHARED_WAKE=watch): two instances of a domain in
 * this process on one KV file in shared mode, where watches reach every handle of the process,
 * with the inbox's looks slowed to a minute: what crosses from one instance to the other within
 * the tests' few seconds crossed by the watch. (Across processes on a file watches do not reach:
 * there the looks do, as `cir_wake_test.ts` proves.)
 */
import assert from "node:assert/strict";
import { loadConfig } from "../../src/config.ts";
import { loadCore } from "../../src/core/mod.ts";
import { createServer, type ImpsServer } from "../../src/server.ts";
import { obj, str } from "../../src/session/values.ts";
import { hashPassword } from "../../src/util/crypto.ts";
import { element } from "../support/body_reader.ts";
import { CAPABILITIES, StcpClient } from "../support/cir.ts";
import { CspClient, PASSWORD } from "../support/harness.ts";
import { ackDelivered, pollOne, sendOk } from "../im/im_support.ts";
import { freePort, pollFor, sspUrl, startNode } from "../ssp/ssp_support.ts";

/** Looks so slow that no test waits for one: only the watch can wake an instance in time. */
const WATCH_ONLY = { IMPS_SHARED_WAKE: "watch", IMPS_SHARED_LOOK_MS: "60000" };

interface Instance {
  server: ImpsServer;
  /** A CSP 1.2 client of `name` talking to this instance. */
  client(name: string): CspClient;
  close(): Promise<void>;
}

/** One instance in shared mode on the KV file `env` names, serving SSP on `port` if given. */
async function startInstance(env: Record<string, string>, port?: number): Promise<Instance> {
  const config = loadConfig({
    IMPS_SECRET: "test-secret-0123456789",
    IMPS_LOG_LEVEL: "warn",
    IMPS_SHARED: "true",
    ...WATCH_ONLY,
    ...env,
  });
  const core = await loadCore(config.core);
  const server = await createServer(config, { parseXml: core.parseXml, sweepIntervalMs: 0 });
  const http = port === undefined
    ? undefined
    : Deno.serve({ hostname: "127.0.0.1", port, onListen() {} }, server.app.fetch);
  return {
    server,
    client: (name) =>
      new CspClient(name, "1.2", (body, type) =>
        Promise.resolve(
          server.app.request("/csp", {
            method: "POST",
            body,
            headers: { "content-type": type },
          }, { remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 40000 } }),
        ), config.domain),
    async close() {
      await http?.shutdown();
      await server.close();
    },
  };
}

async function addUser(server: ImpsServer, name: string): Promise<void> {
  const ctx = server.context;
  const id = `wv:${name}@${ctx.config.domain}`;
  await ctx.users.create({ id, password: await hashPassword(PASSWORD), createdAt: Date.now() });
}

Deno.test("watch: bob's STCP channel is on instance 1, alice writes through instance 2: bob is woken each time", async () => {
  const dir = await Deno.makeTempDir();
  const env = {
    IMPS_DATA: `${dir}/imps.kv`,
    IMPS_DOMAIN: "example.com",
    IMPS_CIR_TCP_PORT: "0",
    IMPS_CIR_TCP_HOST: "127.0.0.1",
    IMPS_CIR_MIN_GAP_MS: "0",
  };
  const one = await startInstance(env);
  const two = await startInstance(env);
  let cir: StcpClient | undefined;
  try {
    for (const name of ["alice", "bob"]) await addUser(one.server, name);
    const bob = one.client("bob");
    const alice = two.client("alice");
    assert.equal((await bob.login(PASSWORD)).code, 200);
    assert.equal((await alice.login(PASSWORD)).code, 200);
    const agreed = element(
      (await bob.send(CAPABILITIES.android(["STCP"]))).body,
      "AgreedCapabilityList",
    );
    cir = await StcpClient.helo(Number(agreed.TCPPort), bob.sessionId!);
    // bob polls through instance 2: only his channel is on instance 1.
    const bobViaTwo = two.client("bob");
    bobViaTwo.sessionId = bob.sessionId;
    for (let i = 0; i < 3; i++) {
      await sendOk(alice, [bob.userId], `message ${i}`);
      assert.equal(await cir.line(3_000), "WVCI 1.2 bob-cookie", `wake-up ${i}`);
      const message = await pollOne(bobViaTwo, "NewMessage");
      assert.equal((await ackDelivered(bobViaTwo, message)).http.status, 200);
    }
  } finally {
    cir?.close();
    await two.close();
    await one.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("watch: a.test's SSP answers and handshake steps reach instance 2; instance 1, which sent the requests, gets them", async () => {
  const dir = await Deno.makeTempDir();
  const [portA, portB] = [await freePort(), await freePort()];
  const env = {
    IMPS_DATA: `${dir}/imps.kv`,
    IMPS_DOMAIN: "a.test",
    IMPS_FEDERATION: "true",
    IMPS_PEERS: `b.test=${sspUrl(portB)}`,
  };
  // Instance 1 serves no SSP: b.test's requests and answers all reach instance 2.
  const one = await startInstance(env);
  const two = await startInstance(env, portA);
  const b = await startNode("b.test", portB, {
    peers: { "a.test": portA },
    env: { IMPS_LOG_LEVEL: "warn" },
  });
  try {
    await addUser(one.server, "alice");
    const alice = one.client("alice");
    assert.equal((await alice.login(PASSWORD)).code, 200);
    const [bob] = await b.login("bob");
    for (let i = 0; i < 3; i++) {
      await sendOk(alice, ["wv:bob@b.test"], `across ${i}`);
      const incoming = await pollFor(bob, "NewMessage", 5_000);
      assert.equal(str(incoming.primitive.body.ContentData), `across ${i}`);
      const info = obj(incoming.primitive.body.MessageInfo)!;
      await bob.send(
        `<MessageDelivered><MessageID>${str(info.MessageID)}</MessageID></MessageDelivered>`,
        { mode: "Response", transactionId: incoming.transactionId },
      );
    }
  } finally {
    await b.close();
    await two.close();
    await one.close();
    await Deno.remove(dir, { recursive: true });
  }
});
