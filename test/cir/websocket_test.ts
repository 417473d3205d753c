/** Conversations over the WebSocket extension: a browser client that asks for it is woken by
 * text frames; phones are never offered it. */
import assert from "node:assert/strict";
import { CAPABILITIES } from "../support/cir.ts";
import { type Harness, loggedIn, startServer } from "../support/harness.ts";
import { pollOne, sendOk } from "../im/im_support.ts";
import { element } from "../support/body_reader.ts";

const WS_ENV = { IMPS_CIR_WEBSOCKET: "true", IMPS_CIR_HTTP: "true" };

/** A browser's WebSocket to `/cir/ws`, with its frames as they come. */
async function openSocket(h: Harness): Promise<{
  socket: WebSocket;
  next(timeoutMs?: number): Promise<string>;
  closed: Promise<CloseEvent>;
}> {
  const probe = await h.transport("", "text/plain");
  await probe.body?.cancel();
  const base = probe.url.replace(/^http/, "ws");
  const socket = new WebSocket(base.replace(/\/csp$/, "/cir/ws"));
  const frames: string[] = [];
  let waiting: (() => void) | undefined;
  socket.onmessage = (event) => {
    frames.push(String(event.data));
    waiting?.();
  };
  const closed = new Promise<CloseEvent>((resolve) => socket.onclose = resolve);
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = reject;
  });
  return {
    socket,
    closed,
    async next(timeoutMs = 3000) {
      const deadline = Date.now() + timeoutMs;
      while (frames.length === 0) {
        if (Date.now() > deadline) throw new Error("no frame");
        await new Promise<void>((resolve) => {
          waiting = resolve;
          setTimeout(resolve, 50);
        });
      }
      return frames.shift()!;
    },
  };
}

Deno.test("bob's browser asks for X-WEBSOCKET, says HELO in a frame and is woken by a WVCI frame", async () => {
  await using h = await startServer({ overHttp: true, env: WS_ENV });
  const [alice, bob] = await loggedIn(h, "1.3", "alice", "bob");
  const reply = await bob.send(CAPABILITIES.browser());
  const agreed = element(reply.body, "AgreedCapabilityList");
  assert.deepEqual(agreed.SupportedCIRMethod, ["X-WEBSOCKET", "SHTTP"]);

  const ws = await openSocket(h);
  ws.socket.send(`HELO ${bob.sessionId}`);
  assert.equal(await ws.next(), "OK");
  ws.socket.send("PING");
  assert.equal(await ws.next(), "OK");
  const sentAt = performance.now();
  await sendOk(alice, [bob.userId], "hello browser");
  assert.equal(await ws.next(), "WVCI 1.3 bob-cookie");
  assert.ok(performance.now() - sentAt < 500);
  await pollOne(bob, "NewMessage");
  ws.socket.close();
  await ws.closed;
});

Deno.test("phones are never offered the WebSocket; a socket for a session that did not ask is closed", async () => {
  await using h = await startServer({ overHttp: true, env: WS_ENV });
  const [bob] = await loggedIn(h, "1.2", "bob");
  const reply = await bob.send(CAPABILITIES.android());
  const agreed = element(reply.body, "AgreedCapabilityList");
  assert.deepEqual(agreed.SupportedCIRMethod, ["SHTTP"]);

  const ws = await openSocket(h);
  ws.socket.send(`HELO ${bob.sessionId}`);
  const close = await ws.closed;
  assert.equal(close.code, 1008);
});

Deno.test("a socket that never says HELO, or says too much, is closed", async () => {
  await using h = await startServer({
    overHttp: true,
    env: { ...WS_ENV, IMPS_CIR_HELO_TIMEOUT: "1" },
  });
  const silent = await openSocket(h);
  assert.equal((await silent.closed).code, 1008);
  const loud = await openSocket(h);
  loud.socket.send("HELO " + "x".repeat(10_000));
  assert.equal((await loud.closed).code, 1008);
  const plain = await h.transport("", "text/plain");
  await plain.body?.cancel();
  const notUpgraded = await fetch(plain.url.replace(/\/csp$/, "/cir/ws"));
  assert.equal(notUpgraded.status, 426);
  await notUpgraded.body?.cancel();
});
