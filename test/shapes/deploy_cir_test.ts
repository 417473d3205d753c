/**
 * CIR under the Deno Deploy entry, over real sockets to `deno serve` of `src/deploy.ts` with only
 * the permissions Deploy grants: the methods that need no socket of the server's own (SHTTP, and
 * the WebSocket extension for browsers) are the only ones agreed, and a client is woken through
 * them. With two workers (`--parallel`) on one KV file, a channel held by one worker is woken by
 * a message sent through the other, through the holder's inbox.
 */
import assert from "node:assert/strict";
import { CAPABILITIES } from "../support/cir.ts";
import { at, element } from "../support/body_reader.ts";
import { CspClient, type Transport } from "../support/harness.ts";
import { type ServerProcess } from "../support/process.ts";
import { serveDeployEntry } from "../support/shapes.ts";
import { ackDelivered, pollOne, sendOk } from "../im/im_support.ts";

const DOMAIN = "example.com";
const ADMIN_TOKEN = "admin-token-0123456789";
/** Every CIR method of the standard. */
const EVERY_METHOD = ["STCP", "SSMS", "SUDP", "WAPUDP", "WAPSMS", "SHTTP"];

interface Served {
  entry: ServerProcess;
  /** A client of `name` (password `pw`); `http` (a client of its own) holds its connection. */
  client(name: string, version?: "1.2" | "1.3", http?: Deno.HttpClient): CspClient;
  close(): Promise<void>;
}

/** The deploy entry in `workers` workers on a KV file, with SHTTP and WebSocket CIR on, and an
 * SMS gateway configured (so that SMS methods could be agreed if the entry offered them). */
async function serveWithCir(workers: number): Promise<Served> {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/users.txt`, "alice pw\nbob pw\ncarol pw\n");
  const entry = await serveDeployEntry({
    IMPS_DATA: `${dir}/store/imps.kv`,
    IMPS_DOMAIN: DOMAIN,
    IMPS_SECRET: "test-secret-0123456789",
    IMPS_USERS: `${dir}/users.txt`,
    IMPS_CORE: "ts",
    IMPS_LOG_LEVEL: "warn",
    IMPS_ADMIN_TOKEN: ADMIN_TOKEN,
    IMPS_CIR_HTTP: "true",
    IMPS_CIR_WEBSOCKET: "true",
    IMPS_CIR_MIN_GAP_MS: "0",
    // Nothing listens there: no SMS is ever sent, the methods would only be agreed.
    IMPS_SMS_URL: "http://127.0.0.1:9/cgi-bin/sendsms",
    IMPS_SMS_TRUST_MSISDN: "true",
  }, workers).catch(async (error) => {
    await Deno.remove(dir, { recursive: true });
    throw error;
  });
  return {
    entry,
    client(name, version = "1.2", http) {
      const transport: Transport = (body, type) =>
        fetch(`${entry.url}/csp`, {
          method: "POST",
          body,
          // The phone's number, as an operator's gateway states it (believed here).
          headers: { "content-type": type, msisdn: "+447700900123" },
          client: http,
        });
      return new CspClient(name, version, transport, DOMAIN);
    },
    async close() {
      await entry.stop();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

async function loggedIn(served: Served, name: string, version?: "1.2" | "1.3") {
  const client = served.client(name, version);
  assert.equal((await client.login("pw")).code, 200);
  return client;
}

/** Offers every method (a browser our WebSocket extension first); returns what is agreed. */
async function agreeEvery(client: CspClient, browser = false) {
  const offer = browser
    ? CAPABILITIES.browser(["X-WEBSOCKET", ...EVERY_METHOD])
    : CAPABILITIES.android(EVERY_METHOD);
  const reply = await client.send(offer);
  assert.equal(reply.primitive.name, "ClientCapability-Response", reply.text);
  return element(reply.body, "AgreedCapabilityList");
}

/** A browser's WebSocket to `/cir/ws` that said HELO for `sessionId`, with its frames. */
async function webSocket(base: string, sessionId: string) {
  const socket = new WebSocket(`${base.replace(/^http/, "ws")}/cir/ws`);
  const frames: string[] = [];
  let arrived: (() => void) | undefined;
  socket.onmessage = (event) => {
    frames.push(String(event.data));
    arrived?.();
  };
  const closed = new Promise<void>((resolve) => socket.onclose = () => resolve());
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = reject;
  });
  const next = async (timeoutMs = 3_000): Promise<string> => {
    const deadline = Date.now() + timeoutMs;
    while (frames.length === 0) {
      if (Date.now() > deadline) throw new Error(`no frame within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        arrived = resolve;
        setTimeout(resolve, 50);
      });
    }
    return frames.shift()!;
  };
  socket.send(`HELO ${sessionId}`);
  assert.equal(await next(), "OK");
  return {
    next,
    async close() {
      socket.close();
      await closed;
    },
  };
}

Deno.test("deno serve of the deploy entry agrees only SHTTP and the WebSocket: a phone is woken by a short GET and a long poll, a browser by a WebSocket frame", async () => {
  const served = await serveWithCir(1);
  try {
    const alice = await loggedIn(served, "alice");
    const bob = await loggedIn(served, "bob");
    const carol = await loggedIn(served, "carol", "1.3");

    // A phone offering every method, with a number the server believes: SHTTP alone.
    const phone = await agreeEvery(bob);
    assert.deepEqual(phone.SupportedCIRMethod, ["SHTTP"]);
    assert.equal(phone.TCPPort, undefined);
    assert.equal(phone.UDPPort, undefined);
    const url = String(at(phone, "CIRURL", "URL"));
    assert.match(url, new RegExp(`^${served.entry.url}/cir/[0-9a-f]{32}$`));

    // Short polls of the URL: 204, then 200 once alice's message waits.
    assert.equal((await fetch(url)).status, 204);
    await sendOk(alice, [bob.userId], "short poll");
    assert.equal((await fetch(url)).status, 200);
    await ackDelivered(bob, await pollOne(bob, "NewMessage"));
    assert.equal((await fetch(url)).status, 204, "nothing waits once acknowledged");

    // A long poll is held and answered the moment alice's message is stored.
    const held = fetch(`${url}?wait=20`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const sentAt = performance.now();
    await sendOk(alice, [bob.userId], "long poll");
    assert.equal((await held).status, 200);
    const latency = performance.now() - sentAt;
    assert.ok(latency < 2_000, `long poll answered ${latency.toFixed(0)} ms after the send`);
    await ackDelivered(bob, await pollOne(bob, "NewMessage"));

    // A browser offering every method: the WebSocket first, SHTTP as its fallback.
    const browser = await agreeEvery(carol, true);
    assert.deepEqual(browser.SupportedCIRMethod, ["X-WEBSOCKET", "SHTTP"]);
    assert.match(String(at(browser, "CIRHTTPAddress", "URL")), /\/cir\/[0-9a-f]{32}$/);
    const ws = await webSocket(served.entry.url, carol.sessionId!);
    try {
      await sendOk(alice, [carol.userId], "to the browser");
      assert.equal(await ws.next(), "WVCI 1.3 carol-cookie");
      await pollOne(carol, "NewMessage");
    } finally {
      await ws.close();
    }
  } finally {
    await served.close();
  }
});

/** Whether the worker a connection of `http` reaches has answered a `/cir` request of `status`
 * (its own counters: each worker keeps its own metrics). */
async function workerAnswered(base: string, http: Deno.HttpClient, status: string) {
  const metrics = await fetch(`${base}/metrics`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    client: http,
  });
  assert.equal(metrics.status, 200);
  return new RegExp(`imps_http_requests_total\\{route="/cir",status="${status}"\\} [1-9]`)
    .test(await metrics.text());
}

/**
 * Sends alice's messages to `to` over new connections (each reaching either worker) until both
 * workers have sent at least one, at most 16. `arm` readies the channel before each send and
 * returns what awaits its wake-up. Returns how many went through the worker holding the channel
 * (the one that answered a `/cir` request of `holderAnswered`) and through the other, with the
 * wake-up latencies of the latter.
 */
async function sendThroughEither(
  served: Served,
  to: CspClient,
  holderAnswered: string,
  arm: () => Promise<() => Promise<void>>,
): Promise<{ holder: number; other: number; otherMs: number[] }> {
  const counts = { holder: 0, other: 0, otherMs: [] as number[] };
  for (let i = 0; i < 16 && (counts.holder === 0 || counts.other === 0); i++) {
    const http = Deno.createHttpClient({});
    try {
      const alice = served.client("alice", "1.2", http);
      assert.equal((await alice.login("pw")).code, 200);
      const through = await workerAnswered(served.entry.url, http, holderAnswered)
        ? "holder"
        : "other";
      const woken = await arm();
      const sentAt = performance.now();
      await sendOk(alice, [to.userId], `message ${i}, through the ${through}`);
      await woken();
      counts[through]++;
      if (through === "other") counts.otherMs.push(performance.now() - sentAt);
      await ackDelivered(to, await pollOne(to, "NewMessage"));
    } finally {
      http.close();
    }
  }
  return counts;
}

Deno.test("deno serve --parallel of the deploy entry: bob's long poll and carol's WebSocket, each held by one worker, are woken by messages sent through either", async () => {
  const served = await serveWithCir(2);
  try {
    // bob's phone: a short GET, then long polls, all on one connection (so one worker).
    const bob = await loggedIn(served, "bob");
    const url = String(at(await agreeEvery(bob), "CIRURL", "URL"));
    const poller = Deno.createHttpClient({});
    try {
      assert.equal((await fetch(url, { client: poller })).status, 204);
      const shttp = await sendThroughEither(served, bob, "204", async () => {
        const held = fetch(`${url}?wait=20`, { client: poller });
        await new Promise((resolve) => setTimeout(resolve, 150));
        return async () => assert.equal((await held).status, 200);
      });
      assert.ok(shttp.holder > 0 && shttp.other > 0, JSON.stringify(shttp));
      console.log(
        `SHTTP long poll woken through the other worker: ${
          shttp.otherMs.map((ms) => ms.toFixed(0)).join(", ")
        } ms`,
      );
    } finally {
      poller.close();
    }

    // carol's browser: its WebSocket is on one worker.
    const carol = await loggedIn(served, "carol", "1.3");
    await agreeEvery(carol, true);
    const ws = await webSocket(served.entry.url, carol.sessionId!);
    try {
      const websocket = await sendThroughEither(
        served,
        carol,
        "101",
        () => Promise.resolve(async () => assert.equal(await ws.next(), "WVCI 1.3 carol-cookie")),
      );
      assert.ok(websocket.holder > 0 && websocket.other > 0, JSON.stringify(websocket));
      console.log(
        `WebSocket woken through the other worker: ${
          websocket.otherMs.map((ms) => ms.toFixed(0)).join(", ")
        } ms`,
      );
    } finally {
      await ws.close();
    }
  } finally {
    await served.close();
  }
});
