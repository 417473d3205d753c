/**
 * CIR as operators run the server (`src/main.ts`, its HTTP port the guarded listener): long polls
 * and WebSockets outlive the HTTP deadlines they are not subject to, while those deadlines still
 * cut slow heads on the same port; a stop answers what is held; the STCP listener survives a
 * flood under a low `ulimit -n`; the start-up log names what is on.
 */
import assert from "node:assert/strict";
import net from "node:net";
import type { ElementObject } from "../../src/codec/csp/message.ts";
import { CAPABILITIES, StcpClient, within } from "../support/cir.ts";
import { CspClient, type Transport } from "../support/harness.ts";
import { pollOne, sendOk } from "../im/im_support.ts";
import { type ServerProcess, spawnServer } from "../support/process.ts";
import { at, element } from "../support/body_reader.ts";

const DOMAIN = "example.com";
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A server process with the users of `names` (password `pw`) and the given settings. */
async function serverWithUsers(
  names: string[],
  env: Record<string, string>,
  options: { fileLimit?: number } = {},
): Promise<{ server: ServerProcess; clients: CspClient[]; cleanup(): Promise<void> }> {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/users.txt`, names.map((n) => `${n} pw\n`).join(""));
  const server = await spawnServer({
    IMPS_DATA: ":memory:",
    IMPS_DOMAIN: DOMAIN,
    IMPS_USERS: `${dir}/users.txt`,
    ...env,
  }, options);
  const transport: Transport = (body, type) =>
    fetch(`${server.url}/csp`, { method: "POST", body, headers: { "content-type": type } });
  const clients = [];
  for (const name of names) {
    const client = new CspClient(name, "1.3", transport, DOMAIN);
    assert.equal((await client.login("pw")).code, 200);
    clients.push(client);
  }
  return {
    server,
    clients,
    async cleanup() {
      if (server.running()) await server.stop();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** The client agrees `capabilities`; the agreed list. */
async function agree(client: CspClient, capabilities: string): Promise<ElementObject> {
  const reply = await client.send(capabilities);
  return element(reply.body, "AgreedCapabilityList");
}

const shttpUrl = (agreed: ElementObject) => String(at(agreed, "CIRHTTPAddress", "URL"));

/** A browser's WebSocket to `/cir/ws` that has said HELO for `sessionId`, and its frames. */
async function helloSocket(base: string, sessionId: string) {
  const socket = new WebSocket(`${base.replace(/^http/, "ws")}/cir/ws`);
  const frames: string[] = [];
  socket.onmessage = (event) => frames.push(String(event.data));
  const closed = new Promise<CloseEvent>((resolve) => socket.onclose = resolve);
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = reject;
  });
  const next = async (timeoutMs = 3000) => {
    for (const until = Date.now() + timeoutMs; frames.length === 0; await sleep(20)) {
      if (Date.now() > until) throw new Error("no frame");
    }
    return frames.shift()!;
  };
  socket.send(`HELO ${sessionId}`);
  assert.equal(await next(), "OK");
  return { socket, next, closed };
}

/** Milliseconds until the server closes a connection whose request head never ends. */
async function slowHeadClosedAfter(url: string): Promise<number> {
  const { hostname, port } = new URL(url);
  const conn = await Deno.connect({ hostname, port: Number(port) });
  const write = (text: string) => conn.write(new TextEncoder().encode(text)).catch(() => 0);
  const start = Date.now();
  await write("GET /healthz HTTP/1.1\r\nhost: x\r\n");
  const drip = setInterval(() => write("x-slow: 1\r\n"), 200);
  try {
    while (await conn.read(new Uint8Array(1024)).catch(() => null) !== null) {
      if (Date.now() - start > 10_000) break;
    }
  } finally {
    clearInterval(drip);
    conn.close();
  }
  return Date.now() - start;
}

Deno.test("over the guarded port: long polls and a WebSocket outlive the HTTP timeouts, slow heads do not", async () => {
  const { server, clients, cleanup } = await serverWithUsers(["alice", "bob", "carol", "dave"], {
    IMPS_CIR_HTTP: "true",
    IMPS_CIR_WEBSOCKET: "true",
    IMPS_CIR_HTTP_WAIT: "20",
    IMPS_CIR_MIN_GAP_MS: "0",
    IMPS_HEAD_TIMEOUT: "1",
    IMPS_BODY_TIMEOUT: "2",
    IMPS_IDLE_TIMEOUT: "2",
  });
  try {
    const [alice, bob, carol, dave] = clients;
    // bob's browser is woken over its WebSocket; carol and dave long-poll their SHTTP URLs.
    assert.deepEqual((await agree(bob, CAPABILITIES.browser())).SupportedCIRMethod, [
      "X-WEBSOCKET",
      "SHTTP",
    ]);
    const carolUrl = shttpUrl(await agree(carol, CAPABILITIES.browser(["SHTTP"])));
    const daveUrl = shttpUrl(await agree(dave, CAPABILITIES.browser(["SHTTP"])));
    assert.ok(carolUrl.startsWith(`${server.url}/cir/`), carolUrl);

    const ws = await helloSocket(server.url, bob.sessionId!);
    // A poll cut by the listener fails its fetch: kept as the error, to be asserted on.
    const longPoll = (url: string) => fetch(url).catch((error: Error) => error);
    const carolPoll = longPoll(`${carolUrl}?wait=20`);
    const started = Date.now();
    const davePoll = longPoll(`${daveUrl}?wait=4`);

    // Longer than the body and idle timeouts together, with nothing said on any of them.
    await sleep(3500);
    assert.equal(await within(carolPoll, 0), false, "carol's long poll is still held");
    const sentAt = performance.now();
    await sendOk(alice, [bob.userId, carol.userId], "wake up");
    const carolAnswer = await carolPoll;
    assert.ok(carolAnswer instanceof Response, `carol's poll: ${carolAnswer}`);
    assert.equal(carolAnswer.status, 200);
    assert.equal(await ws.next(), "WVCI 1.3 bob-cookie");
    const latency = performance.now() - sentAt;
    assert.ok(latency < 1000, `woken ${latency.toFixed(0)} ms after alice's 200`);
    await pollOne(carol, "NewMessage");
    await pollOne(bob, "NewMessage");

    // dave had nothing: his poll ends 204 at the end of its own wait, not at a deadline's.
    const daveAnswer = await davePoll;
    const held = Date.now() - started;
    assert.ok(daveAnswer instanceof Response, `dave's poll: ${daveAnswer}`);
    assert.equal(daveAnswer.status, 204);
    assert.ok(held >= 3800 && held < 8000, `dave's poll held ${held} ms`);

    // The WebSocket still answers after all that silence.
    ws.socket.send("PING");
    assert.equal(await ws.next(), "OK");

    // The same port still cuts a head that never ends, at IMPS_HEAD_TIMEOUT.
    const headMs = await slowHeadClosedAfter(server.url);
    assert.ok(headMs >= 800 && headMs < 3000, `slow head closed after ${headMs} ms`);

    ws.socket.close();
    await ws.closed;
  } finally {
    await cleanup();
  }
});

Deno.test("an upgraded connection that never says HELO nor answers the close is cut", async () => {
  const { server, cleanup } = await serverWithUsers([], {
    IMPS_CIR_WEBSOCKET: "true",
    IMPS_CIR_HELO_TIMEOUT: "1",
  });
  try {
    const { hostname, port } = new URL(server.url);
    const conn = await Deno.connect({ hostname, port: Number(port) });
    await conn.write(new TextEncoder().encode(
      "GET /cir/ws HTTP/1.1\r\nhost: x\r\nupgrade: websocket\r\nconnection: Upgrade\r\n" +
        `sec-websocket-key: ${btoa("0123456789abcdef")}\r\nsec-websocket-version: 13\r\n\r\n`,
    ));
    const start = Date.now();
    // Closed here after 15 s, should the server never close it.
    const giveUp = setTimeout(() => conn.close(), 15_000);
    let received = "";
    const buffer = new Uint8Array(4096);
    for (let n; (n = await conn.read(buffer).catch(() => null)) !== null;) {
      received += new TextDecoder().decode(buffer.subarray(0, n));
    }
    const closedAfter = Date.now() - start;
    clearTimeout(giveUp);
    try {
      conn.close();
    } catch {
      // closed by the give-up timer
    }
    assert.match(received, /^HTTP\/1\.1 101 [\s\S]*HELO expected/);
    assert.ok(closedAfter >= 3000 && closedAfter < 8000, `cut after ${closedAfter} ms`);
  } finally {
    await cleanup();
  }
});

Deno.test("a stop answers held long polls and closes WebSockets at once", async () => {
  const { server, clients, cleanup } = await serverWithUsers(["bob", "carol"], {
    IMPS_CIR_HTTP: "true",
    IMPS_CIR_WEBSOCKET: "true",
  });
  try {
    const [bob, carol] = clients;
    await agree(bob, CAPABILITIES.browser());
    const carolUrl = shttpUrl(await agree(carol, CAPABILITIES.browser(["SHTTP"])));
    const ws = await helloSocket(server.url, bob.sessionId!);
    const held = fetch(`${carolUrl}?wait=55`);
    await sleep(200);

    const started = Date.now();
    const stopped = server.stop("SIGTERM");
    assert.equal((await held).status, 204);
    assert.equal((await ws.closed).code, 1001);
    await stopped;
    const took = Date.now() - started;
    assert.ok(took < 5000, `stopped after ${took} ms`);
    assert.match(
      server.output(),
      /info stopping \(SIGTERM\): finishing requests in progress\n(?:.*\n)*?\S+ info stopped\n/,
    );
    assert.match(server.output(), /info GET \/cir\/<token> status=204/);
    assert.ok(
      !server.output().includes(new URL(carolUrl).pathname),
      "the access log does not give away carol's CIR URL",
    );
  } finally {
    await cleanup();
  }
});

/** The STCP port the start-up log names. */
function stcpPort(server: ServerProcess): number {
  const port = server.banner.match(/STCP on 127\.0\.0\.1:(\d+)/)?.[1];
  assert.ok(port, `no STCP listener in the start-up log:\n${server.banner}`);
  return Number(port);
}

Deno.test("600 idle STCP connections against ulimit -n 200: the listener is found stuck and listens again", async () => {
  // Bounds above what the descriptors allow, so that accept itself runs out of them.
  const { server, clients, cleanup } = await serverWithUsers(["bob"], {
    IMPS_CIR_TCP_PORT: "0",
    IMPS_CIR_TCP_MAX: "2000",
    IMPS_CIR_TCP_PER_IP: "2000",
    IMPS_CIR_HELO_TIMEOUT: "2",
  }, { fileLimit: 200 });
  try {
    const [bob] = clients;
    const port = stcpPort(server);
    const flood: net.Socket[] = [];
    await Promise.all(Array.from({ length: 600 }, () =>
      new Promise<void>((resolve) => {
        const socket = net.connect({ host: "127.0.0.1", port }, () => resolve());
        socket.on("error", () => resolve());
        flood.push(socket);
      })));
    // The ones taken are closed at the HELO time; those queued behind stay queued.
    await sleep(3000);
    for (const socket of flood) socket.destroy();
    assert.ok(server.running(), "the server outlives the flood");

    // bob's phone gets in again once the listener is checked (every 5 s) and opened anew.
    assert.deepEqual((await agree(bob, CAPABILITIES.android(["STCP"]))).SupportedCIRMethod, [
      "STCP",
    ]);
    let phone: StcpClient | undefined;
    for (const until = Date.now() + 15_000; !phone;) {
      phone = await StcpClient.helo(port, bob.sessionId!).catch(() => undefined);
      if (!phone && Date.now() > until) assert.fail("no HELO answered after the flood");
      if (!phone) await sleep(500);
    }
    phone.close();
    assert.match(server.output(), /STCP CIR: listener stopped accepting; listening again/);
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
  } finally {
    await cleanup();
  }
});

Deno.test("the start-up log names the CIR methods on and where each listens; none: clients poll", async () => {
  const { server, cleanup } = await serverWithUsers([], {
    IMPS_CIR_TCP_PORT: "0",
    IMPS_CIR_HTTP: "true",
    IMPS_CIR_UDP: "true",
    IMPS_CIR_WEBSOCKET: "true",
    IMPS_ADMIN_TOKEN: "cir-metrics-token-0123",
  });
  try {
    assert.match(
      server.banner,
      /^\S+ info CIR: methods STCP, SHTTP, SUDP, WAPUDP, X-WEBSOCKET: STCP on 127\.0\.0\.1:\d+; SHTTP \(\/cir\/<token>\) and X-WEBSOCKET \(\/cir\/ws\) on the HTTP port; SUDP and WAPUDP datagrams, 1000\/s at most$/m,
    );
    assert.match(server.banner, / cir=STCP,SHTTP,SUDP,WAPUDP,X-WEBSOCKET /, "in the summary");
    // An idle connection to the STCP listener is counted beside the HTTP listener's.
    const idle = await Deno.connect({ hostname: "127.0.0.1", port: stcpPort(server) });
    await sleep(100);
    const metrics = await fetch(`${server.url}/metrics`, {
      headers: { authorization: "Bearer cir-metrics-token-0123" },
    }).then((r) => r.text());
    idle.close();
    assert.match(metrics, /^imps_connections\{listener="stcp"\} 1$/m);
  } finally {
    await cleanup();
  }
  const { server: plain, cleanup: stop } = await serverWithUsers([], {});
  await stop();
  assert.match(plain.banner, /^\S+ info CIR: off, clients poll/m);
});

Deno.test("bob's browser WebSocket is counted in imps_connections while open, and no longer once closed", async () => {
  const { server, clients: [bob], cleanup } = await serverWithUsers(["bob"], {
    IMPS_CIR_WEBSOCKET: "true",
    IMPS_ADMIN_TOKEN: "cir-metrics-token-0123",
  });
  const websockets = async () => {
    const metrics = await fetch(`${server.url}/metrics`, {
      headers: { authorization: "Bearer cir-metrics-token-0123" },
    }).then((r) => r.text());
    return /^imps_connections\{listener="websocket"\} (\d+)$/m.exec(metrics)?.[1];
  };
  try {
    assert.equal(await websockets(), "0", "none before bob's browser connects");
    assert.deepEqual((await agree(bob, CAPABILITIES.browser())).SupportedCIRMethod, [
      "X-WEBSOCKET",
    ]);
    const ws = await helloSocket(server.url, bob.sessionId!);
    assert.equal(await websockets(), "1");
    ws.socket.close();
    await ws.closed;
    // The server's side of the close ends a moment after the browser's.
    let count = await websockets();
    for (const until = Date.now() + 3000; count !== "0" && Date.now() < until;) {
      await sleep(50);
      count = await websockets();
    }
    assert.equal(count, "0", "bob's closed WebSocket is no longer counted");
  } finally {
    await cleanup();
  }
});
