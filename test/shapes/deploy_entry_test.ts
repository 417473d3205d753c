/**
 * The Deno Deploy entry as such a host runs it: its fetch handler driven in this process, and
 * `deno serve` workers with only Deploy's permissions, sharing one KV file with a
 * `deno task start` instance behind a round-robin proxy. Users come from IMPS_USERS, as on a
 * host where the admin command cannot run.
 */
import assert from "node:assert/strict";
import { openDeployment } from "../../src/deployment.ts";
import { CspClient, type Transport } from "../support/harness.ts";
import { spawnServer } from "../support/process.ts";
import { roundRobin } from "../support/round_robin.ts";
import { deployPermissions, serveDeployEntry } from "../support/shapes.ts";
import { hashPassword } from "../../src/util/crypto.ts";
import { ackDelivered, infoOf, poll, pollOne, sendOk } from "../im/im_support.ts";

const DOMAIN = "example.com";
const SECRET = "test-secret-0123456789";

async function usersFile(dir: string): Promise<string> {
  const path = `${dir}/users.txt`;
  await Deno.writeTextFile(path, "alice secret-a\nbob secret-b\n");
  return path;
}

function clientsOver(transport: Transport) {
  return {
    alice: new CspClient("alice", "1.2", transport, DOMAIN),
    bob: new CspClient("bob", "1.2", transport, DOMAIN),
  };
}

async function aliceToBob(alice: CspClient, bob: CspClient, text: string): Promise<void> {
  const id = await sendOk(alice, [bob.userId], text);
  const tx = await pollOne(bob, "NewMessage");
  assert.equal(infoOf(tx).MessageID, id);
  assert.equal(tx.primitive.body.ContentData, text);
  const ack = await ackDelivered(bob, tx);
  assert.equal(ack.http.status, 200);
  assert.ok(ack.empty, "the acknowledgement is taken without an answer");
  assert.deepEqual(await poll(bob), [], "an acknowledged message does not come again");
}

Deno.test("the deploy entry's fetch handler: IMPS_USERS alice and bob log in, alice's message reaches bob", async () => {
  const dir = await Deno.makeTempDir();
  const deployment = await openDeployment({
    IMPS_DATA: ":memory:",
    IMPS_DOMAIN: DOMAIN,
    IMPS_SECRET: SECRET,
    IMPS_USERS: await usersFile(dir),
  }, { sweeps: "cron" });
  try {
    const transport: Transport = (body, type) =>
      deployment.fetch(
        new Request("http://deploy.test/csp", {
          method: "POST",
          body,
          headers: { "content-type": type },
        }),
      );
    const { alice, bob } = clientsOver(transport);
    assert.equal((await alice.login("secret-a")).code, 200);
    assert.equal((await bob.login("secret-b")).code, 200);
    await aliceToBob(alice, bob, "Hello from the edge");
    const health = await deployment.fetch(new Request("http://deploy.test/healthz"));
    assert.equal(await health.text(), "ok");
  } finally {
    await deployment.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("without a scheduler, a request starts the background work once its interval has passed: expired sessions end", async () => {
  const deployment = await openDeployment({
    IMPS_DATA: ":memory:",
    IMPS_DOMAIN: DOMAIN,
    IMPS_SECRET: SECRET,
    IMPS_TTL_MIN: "1",
    IMPS_TTL_MAX: "1",
    IMPS_TTL_DEFAULT: "1",
  }, { sweeps: "request", sweepEveryMs: 2_000 });
  const opened = Date.now();
  const ended: number[] = [];
  try {
    const sessions = deployment.server.context.sessions;
    const sweep = sessions.sweep.bind(sessions);
    sessions.sweep = async (now) => {
      const count = await sweep(now);
      ended.push(count);
      return count;
    };
    const transport: Transport = (body, type) =>
      deployment.fetch(
        new Request("http://deploy.test/csp", {
          method: "POST",
          body,
          headers: { "content-type": type },
        }),
      );
    const { alice } = clientsOver(transport);
    const { sealer, users } = deployment.server.context;
    await users.create({
      id: alice.userId,
      password: await hashPassword("pw"),
      sealedPassword: await sealer.seal("pw", alice.userId),
      createdAt: Date.now(),
    });
    assert.equal((await alice.login("pw")).code, 200);
    assert.deepEqual(ended, [], "no round before the interval has passed");

    // Her keep-alive time (1 s) runs out, and the interval passes; nobody asks anything meanwhile.
    const wait = Math.max(1_100, 2_100 - (Date.now() - opened));
    await new Promise((resolve) => setTimeout(resolve, wait));
    const healthz = () => deployment.fetch(new Request("http://deploy.test/healthz"));
    await Promise.all([healthz(), healthz(), healthz()]);
  } finally {
    await deployment.close();
  }
  assert.deepEqual(ended, [1], "one round for three requests, and it ended alice's session");
});

Deno.test("the deploy entry refuses settings it cannot honour, in one line", async () => {
  const base = { IMPS_DATA: ":memory:", IMPS_DOMAIN: DOMAIN };
  await assert.rejects(
    openDeployment({ ...base, IMPS_SECRET: SECRET, IMPS_PORT: "8080" }, { sweeps: "cron" }),
    /^Error: configuration error: IMPS_PORT has no effect on the deploy entry/,
  );
  await assert.rejects(
    openDeployment({ ...base, IMPS_SECRET: SECRET, IMPS_CIR_TCP_PORT: "3717" }, { sweeps: "cron" }),
    /^Error: configuration error: IMPS_CIR_TCP_PORT needs sockets of the server's own/,
  );
  await assert.rejects(
    openDeployment({ ...base, IMPS_SECRET: SECRET, IMPS_CIR_UDP: "true" }, { sweeps: "cron" }),
    /^Error: configuration error: IMPS_CIR_UDP needs sockets of the server's own/,
  );
  await assert.rejects(
    openDeployment(base, { sweeps: "cron" }),
    /^Error: configuration error: IMPS_SECRET is required on the deploy entry/,
  );
});

Deno.test("deno task serve grants what Deno Deploy grants: no run, no ffi, no writes", async () => {
  const tasks = JSON.parse(await Deno.readTextFile(new URL("../../deno.json", import.meta.url)))
    .tasks;
  const command: string = tasks.serve.command;
  assert.equal(command, `deno serve ${deployPermissions().join(" ")} src/deploy.ts`);
  assert.doesNotMatch(command, /--allow-(all|run|ffi|write|sys)\b|\s-A\b/);
});

Deno.test("deno serve workers of the deploy entry and a deno task start instance share one KV file: alice sends through the proxy, bob receives", async () => {
  const dir = await Deno.makeTempDir();
  const env = {
    IMPS_DATA: `${dir}/store/imps.kv`,
    IMPS_DOMAIN: DOMAIN,
    IMPS_SECRET: SECRET,
    IMPS_USERS: await usersFile(dir),
    IMPS_CORE: "ts",
  };
  const served = await serveDeployEntry(env, 2);
  const started = await spawnServer({ ...env, IMPS_SHARED: "true" }).catch(async (error) => {
    await served.stop();
    throw error;
  });
  const proxy = roundRobin([served.url, started.url]);
  try {
    const transport: Transport = (body, type) =>
      fetch(`${proxy.url}/csp`, { method: "POST", body, headers: { "content-type": type } });
    const { alice, bob } = clientsOver(transport);
    assert.equal((await alice.login("secret-a")).code, 200);
    assert.equal((await bob.login("secret-b")).code, 200);
    for (let i = 0; i < 6; i++) await aliceToBob(alice, bob, `message ${i}`);
    assert.ok(proxy.served.get(served.url)! >= 10, "the deploy entry served its turns");
    assert.ok(proxy.served.get(started.url)! >= 10, "the started instance served its turns");
    assert.match(served.banner, /deploy entry, store .*imps\.kv.*background work by cron/);
  } finally {
    await proxy.close();
    await Promise.all([served.stop(), started.stop()]);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deno task serve --port N is refused with where the address goes, not served on deno serve's default port", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["serve", ...deployPermissions(), "src/deploy.ts", "--port", "8197"],
    cwd: new URL("../../", import.meta.url),
    env: { IMPS_DATA: ":memory:", IMPS_SECRET: SECRET, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.success, false);
  assert.match(
    new TextDecoder().decode(out.stderr),
    /configuration error: "--port 8197" reaches the entry, not deno serve: give the address as DENO_SERVE_ADDRESS=/,
  );
});
