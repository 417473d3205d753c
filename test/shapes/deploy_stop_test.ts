/**
 * `deno serve --parallel` of the Deploy entry stops on SIGTERM after serving: logins, a message,
 * a long poll held and a WebSocket open when the signal comes. The process (its workers are
 * threads of it) must be gone within STOP_BOUND_MS, and its port closed.
 */
import assert from "node:assert/strict";
import { CAPABILITIES } from "../support/cir.ts";
import { at, element } from "../support/body_reader.ts";
import { CspClient } from "../support/harness.ts";
import { serveDeployEntry } from "../support/shapes.ts";
import { ackDelivered, pollOne, sendOk } from "../im/im_support.ts";

const DOMAIN = "example.com";
/** How long the process may take to end after SIGTERM. */
const STOP_BOUND_MS = 10_000;

Deno.test("deno serve --parallel of the deploy entry ends within 10 s of SIGTERM after serving, with a long poll held and a WebSocket open", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/users.txt`, "alice pw\nbob pw\ncarol pw\n");
  const entry = await serveDeployEntry({
    IMPS_DATA: `${dir}/store/imps.kv`,
    IMPS_DOMAIN: DOMAIN,
    IMPS_SECRET: "test-secret-0123456789",
    IMPS_USERS: `${dir}/users.txt`,
    IMPS_CORE: "ts",
    IMPS_CIR_HTTP: "true",
    IMPS_CIR_WEBSOCKET: "true",
  }, 2);
  let socket: WebSocket | undefined;
  try {
    const client = (name: string, version: "1.2" | "1.3" = "1.2") =>
      new CspClient(
        name,
        version,
        (body, type) =>
          fetch(`${entry.url}/csp`, { method: "POST", body, headers: { "content-type": type } }),
        DOMAIN,
      );
    const [alice, bob, carol] = [client("alice"), client("bob"), client("carol", "1.3")];
    for (const user of [alice, bob, carol]) assert.equal((await user.login("pw")).code, 200);
    await sendOk(alice, [bob.userId], "before the stop");
    await ackDelivered(bob, await pollOne(bob, "NewMessage"));

    // bob's long poll is held, carol's WebSocket open, when the signal comes.
    const agreed = element(
      (await bob.send(CAPABILITIES.android(["SHTTP"]))).body,
      "AgreedCapabilityList",
    );
    const held = fetch(`${at(agreed, "CIRURL", "URL")}?wait=60`).then(
      (answer) => answer.body?.cancel(),
      () => {},
    );
    await carol.send(CAPABILITIES.browser());
    socket = new WebSocket(`${entry.url.replace(/^http/, "ws")}/cir/ws`);
    const ws = socket;
    const ok = new Promise((resolve) => ws.onmessage = resolve);
    await new Promise((resolve, reject) => {
      ws.onopen = resolve;
      ws.onerror = reject;
    });
    ws.send(`HELO ${carol.sessionId}`);
    await ok;
    const closed = new Promise((resolve) => ws.onclose = resolve);

    const signalledAt = Date.now();
    Deno.kill(entry.pid, "SIGTERM");
    while (entry.running() && Date.now() - signalledAt < STOP_BOUND_MS) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const took = Date.now() - signalledAt;
    assert.ok(!entry.running(), `still running ${STOP_BOUND_MS} ms after SIGTERM`);
    console.log(`ended ${took} ms after SIGTERM`);
    await held;
    await closed;
    await assert.rejects(fetch(`${entry.url}/healthz`), "its port is closed");
  } finally {
    socket?.close();
    if (entry.running()) await entry.stop("SIGKILL");
    await Deno.remove(dir, { recursive: true });
  }
});
