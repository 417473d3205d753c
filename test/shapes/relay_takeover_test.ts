/**
 * a.test runs as two server processes on one KV file behind a round-robin proxy. alice sends bob
 * of b.test messages while b.test cannot be reached: they wait in a.test's relay queue for b.test,
 * worked by one instance under a lease. That instance is killed (kill -9), then b.test comes up.
 * With no further message and no restart, the other instance takes the queue over by itself:
 * every message alice was answered 200 for reaches bob within seconds, each once.
 */
import assert from "node:assert/strict";
import { runAdmin } from "../../src/admin.ts";
import { CspClient, PASSWORD } from "../support/harness.ts";
import { type ServerProcess, spawnServer } from "../support/process.ts";
import { roundRobin } from "../support/round_robin.ts";
import { freePort, sspUrl } from "../ssp/ssp_support.ts";

/** How long after the kill every message must have reached bob, ms: a lease (5 s), a look for
 * leases that ran out (1 s), b.test's start and the SSP handshake, with room on a loaded machine. */
const TAKE_OVER_BOUND_MS = 15_000;
/** How long the messages wait while b.test is down before the kill, ms: past a lease and past
 * the patience of an instance that queued some of them, with the holder's pauses between tries
 * grown to seconds. */
const WAIT_BEFORE_KILL_MS = 8_000;
const MESSAGES = 6;

interface Lease {
  instance: string;
  until: number;
}

const client = (name: string, domain: string, url: string) =>
  new CspClient(
    name,
    "1.2",
    (body, type) =>
      fetch(`${url}/csp`, { method: "POST", body, headers: { "content-type": type } }),
    domain,
  );

/** The instance id a shared-mode server names in its banner. */
const instanceOf = (server: ServerProcess) => server.banner.match(/instance\W+([0-9a-f]{8})/)![1];

Deno.test("kill -9 of the a.test instance working b.test's relay queue: the other takes it over by itself, and bob gets every message alice was answered 200 for, once", async () => {
  const dir = await Deno.makeTempDir();
  const [aPort, bPort] = [await freePort(), await freePort()];
  const common = {
    IMPS_SECRET: "test-secret-0123456789",
    IMPS_CORE: "ts",
    IMPS_FEDERATION: "true",
  };
  const aEnv = {
    ...common,
    IMPS_DATA: `${dir}/a.kv`,
    IMPS_DOMAIN: "a.test",
    IMPS_SHARED: "true",
    IMPS_PEERS: `b.test=${sspUrl(bPort)}`,
  };
  const bEnv = {
    ...common,
    IMPS_DATA: `${dir}/b.kv`,
    IMPS_DOMAIN: "b.test",
    IMPS_PORT: String(bPort),
    IMPS_PEERS: `a.test=${sspUrl(aPort)}`,
  };
  const admin = { password: () => Promise.resolve(PASSWORD), warn() {} };
  await runAdmin(["user", "add", "alice"], aEnv, admin);
  await runAdmin(["user", "add", "bob"], bEnv, admin);
  const instances = await Promise.all([spawnServer(aEnv), spawnServer(aEnv)]);
  const proxy = roundRobin(instances.map((i) => i.url), aPort);
  const kv = await Deno.openKv(aEnv.IMPS_DATA);
  const lease = async () => (await kv.get<Lease>(["relay", "lease", "b.test"])).value;
  let b: ServerProcess | undefined;
  try {
    const alice = client("alice", "a.test", proxy.url);
    assert.equal((await alice.login(PASSWORD)).code, 200);
    const sent = new Map<string, string>(); // text -> MessageID
    for (let i = 0; i < MESSAGES; i++) {
      const reply = await alice.send(
        `<SendMessage-Request><DeliveryReport>F</DeliveryReport><MessageInfo><Recipient><User>` +
          `<UserID>wv:bob@b.test</UserID></User></Recipient></MessageInfo>` +
          `<ContentData>m${i}</ContentData></SendMessage-Request>`,
      );
      assert.equal(reply.code, 200, reply.text);
      sent.set(`m${i}`, String(reply.body.MessageID));
    }

    // While b.test stays down, one instance holds the lease all along: renewed while it tries
    // and while it pauses between tries, never taken by the other while it lives.
    const holders = new Set<string>();
    for (const end = Date.now() + WAIT_BEFORE_KILL_MS; Date.now() < end;) {
      const held = await lease();
      assert.ok(held && held.until > Date.now(), `b.test's queue is held: ${JSON.stringify(held)}`);
      holders.add(held.instance);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.equal(holders.size, 1, `one holder while it lives: ${[...holders]}`);
    const [holder] = holders;
    const doomed = instances.find((i) => instanceOf(i) === holder);
    assert.ok(doomed, `the holder ${holder} is one of ${instances.map(instanceOf)}`);

    await doomed.stop("SIGKILL");
    const killedAt = Date.now();
    b = await spawnServer(bEnv);
    const bob = client("bob", "b.test", b.url);
    assert.equal((await bob.login(PASSWORD)).code, 200);

    const received: string[] = [];
    while (received.length < MESSAGES && Date.now() - killedAt < TAKE_OVER_BOUND_MS) {
      const reply = await bob.send("<Polling-Request/>", { transactionId: "" });
      for (const t of reply.empty ? [] : reply.message!.transactions) {
        if (t.primitive.name !== "NewMessage") continue;
        const info = t.primitive.body.MessageInfo as { MessageID: string };
        received.push(String(t.primitive.body.ContentData));
        await bob.send(
          `<MessageDelivered><MessageID>${info.MessageID}</MessageID></MessageDelivered>`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const tookMs = Date.now() - killedAt;
    console.log(`relay take-over: every message reached bob ${tookMs} ms after the kill`);
    assert.deepEqual(
      received.toSorted(),
      [...sent.keys()].toSorted(),
      `within ${TAKE_OVER_BOUND_MS} ms of the kill`,
    );
    const survivor = instances.find((i) => i !== doomed)!;
    assert.ok(survivor.running());
    // Nothing more comes (no job sent twice, in bob's view).
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const more = await bob.send("<Polling-Request/>", { transactionId: "" });
    assert.ok(more.empty, `nothing more for bob: ${more.text}`);
  } finally {
    kv.close();
    await proxy.close();
    for (const server of [...instances, ...(b ? [b] : [])]) {
      if (server.running()) await server.stop();
    }
    await Deno.remove(dir, { recursive: true });
  }
});
