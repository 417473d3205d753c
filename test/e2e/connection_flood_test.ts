/**
 * Connection floods against the server as operators run it (`src/main.ts` under a low
 * `ulimit -n`), and the guarded listener's deadlines in-process: idle, slow-head and slow-body
 * connections are refused or closed, and the server goes on answering others.
 */
import assert from "node:assert/strict";
import net from "node:net";
import { ConnectionGate } from "../../src/transport/connection_gate.ts";
import { serveGuarded } from "../../src/transport/http_listener.ts";
import { spawnServer } from "../support/process.ts";

const hostPort = (url: string) => {
  const { hostname, port } = new URL(url);
  return { hostname, port: Number(port) };
};

/** Opens up to `count` connections that say nothing; stops at the first that cannot connect. */
async function idleConnections(url: string, count: number): Promise<Deno.Conn[]> {
  const conns: Deno.Conn[] = [];
  for (let i = 0; i < count; i++) {
    try {
      conns.push(await Deno.connect(hostPort(url)));
    } catch {
      break;
    }
  }
  return conns;
}

/** Resolves with how many of the connections the server closed within `ms`. */
async function closedWithin(conns: Deno.Conn[], ms: number): Promise<number> {
  let closed = 0;
  const reads = conns.map((c) =>
    c.read(new Uint8Array(64)).then((n) => n === null && closed++, () => closed++)
  );
  await Promise.race([Promise.all(reads), new Promise((r) => setTimeout(r, ms))]);
  return closed;
}

/** GET /healthz over a connection of its own from `localAddress`; the status, or an error. */
function health(url: string, localAddress = "127.0.0.1", timeoutMs = 3000): Promise<number> {
  const { hostname, port } = hostPort(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: hostname, port, localAddress });
    let answer = "";
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error("no answer"));
    }, timeoutMs);
    socket.on("connect", () => socket.write(`GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n`));
    socket.on("data", (chunk) => {
      answer += chunk.toString();
      const status = /^HTTP\/1\.1 (\d+)/.exec(answer);
      if (status) {
        clearTimeout(timer);
        socket.destroy();
        resolve(Number(status[1]));
      }
    });
    socket.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on("close", () => {
      clearTimeout(timer);
      reject(new Error("closed without an answer"));
    });
  });
}

async function eventually(what: () => Promise<number>, withinMs: number): Promise<number> {
  const until = Date.now() + withinMs;
  for (;;) {
    try {
      return await what();
    } catch (error) {
      if (Date.now() > until) throw error;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

Deno.test("600 idle connections against ulimit -n 200: accept fails, the server logs, goes on", async () => {
  // A bound above what the descriptors allow, so that accept itself runs out of them.
  const server = await spawnServer({
    IMPS_DATA: ":memory:",
    IMPS_MAX_CONNECTIONS: "2000",
    IMPS_MAX_CONNECTIONS_PER_ADDRESS: "2000",
    IMPS_HEAD_TIMEOUT: "2",
  }, { fileLimit: 200 });
  try {
    const flood = await idleConnections(server.url, 600);
    assert.ok(flood.length >= 200, `only ${flood.length} connections opened`);
    await new Promise((r) => setTimeout(r, 500));
    assert.ok(server.running(), "the server outlives the flood");

    // The idle ones it took are closed once the head timeout passes; the rest wait their turn.
    const closed = await closedWithin(flood, 4000);
    assert.ok(closed >= 30, `only ${closed} idle connections closed by the server`);
    for (const conn of flood) conn.close();
    assert.equal(await eventually(() => health(server.url), 10_000), 200);
    assert.ok(server.running());
    assert.match(server.output(), /accept failed, retrying: Too many open files/);
  } finally {
    await server.stop();
  }
});

Deno.test("one address's 300 connections are refused past its share; another address is served", async () => {
  const server = await spawnServer({
    IMPS_DATA: ":memory:",
    IMPS_MAX_CONNECTIONS_PER_ADDRESS: "20",
    IMPS_HEAD_TIMEOUT: "30",
  }, { fileLimit: 256 });
  try {
    const flood = await idleConnections(server.url, 300);
    assert.equal(flood.length, 300);
    const refused = await closedWithin(flood, 1000);
    assert.ok(refused >= 270, `${refused} of 300 refused at once`);
    assert.equal(await health(server.url, "127.0.0.2", 2000), 200, "served while the flood holds");
    for (const conn of flood) conn.close();
    assert.ok(server.running());
    assert.match(server.output(), /connections refused: \d+ over the bound .*, \d+ over 20/);
  } finally {
    await server.stop();
  }
});

Deno.test("slow heads, slow bodies and idle connections are closed at their deadlines", async () => {
  const seen: Deno.NetAddr[] = [];
  const http = serveGuarded({
    hostname: "127.0.0.1",
    port: 0,
    maxConnections: 10,
    maxPerAddress: 10,
    headTimeoutMs: 300,
    bodyTimeoutMs: 300,
    idleTimeoutMs: 600,
    log: () => {},
  }, async (request, info) => {
    // The slow body's request reaches the handler with its head, and its body never arrives.
    const body = await request.text().catch(() => undefined);
    if (body === undefined) return new Response(null, { status: 400 });
    seen.push(info.remoteAddr);
    return new Response(body);
  });
  const connect = () => Deno.connect({ hostname: "127.0.0.1", port: http.addr.port });
  const write = (conn: Deno.Conn, text: string) => conn.write(new TextEncoder().encode(text));
  /** Milliseconds until the server closes the connection (reading what it says meanwhile). */
  const closesAfter = async (conn: Deno.Conn, drip?: () => Promise<unknown>) => {
    const start = Date.now();
    const dripping = drip ? setInterval(() => drip().catch(() => {}), 100) : undefined;
    const buffer = new Uint8Array(4096);
    try {
      while (await conn.read(buffer).catch(() => null) !== null);
    } finally {
      clearInterval(dripping);
      conn.close();
    }
    return Date.now() - start;
  };
  try {
    const silent = await connect();
    const silentMs = await closesAfter(silent);
    assert.ok(silentMs >= 250 && silentMs < 1500, `silent: closed after ${silentMs} ms`);

    const slowHead = await connect();
    await write(slowHead, "GET / HTTP/1.1\r\nhost: x\r\n");
    const headMs = await closesAfter(slowHead, () => write(slowHead, "x-a: 1\r\n"));
    assert.ok(headMs >= 250 && headMs < 1500, `slow head: closed after ${headMs} ms`);

    const slowBody = await connect();
    await write(slowBody, "POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 1000\r\n\r\n");
    const bodyMs = await closesAfter(slowBody, () => write(slowBody, "y"));
    assert.ok(bodyMs >= 250 && bodyMs < 1500, `slow body: closed after ${bodyMs} ms`);

    // A client that keeps to the deadlines is served, twice on one connection, then idled out.
    const polite = await connect();
    const answers: string[] = [];
    for (const body of ["one", "two"]) {
      // The head's blank line comes in pieces, each read on its own: it is found all the same.
      const head = `POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 3\r\n\r\n`;
      for (const piece of [head.slice(0, -3), head.slice(-3, -2), head.slice(-2)]) {
        await write(polite, piece);
        await new Promise((r) => setTimeout(r, 20));
      }
      await write(polite, body);
      const buffer = new Uint8Array(4096);
      const n = await polite.read(buffer);
      answers.push(new TextDecoder().decode(buffer.subarray(0, n ?? 0)));
      await new Promise((r) => setTimeout(r, 400));
    }
    assert.match(answers[0], /^HTTP\/1\.1 200[\s\S]*one$/);
    assert.match(answers[1], /^HTTP\/1\.1 200[\s\S]*two$/);
    const idleMs = await closesAfter(polite);
    assert.ok(idleMs < 1500, `idle: closed after ${idleMs} more ms`);
    assert.equal(seen.length, 2);
    assert.equal(seen[0].hostname, "127.0.0.1");
    assert.equal(seen[0].port, (polite.localAddr as Deno.NetAddr).port, "the client's own port");
    assert.equal(http.gate.open, 0, "every slot released");
  } finally {
    await http.shutdown();
  }
});

Deno.test("the gate counts per address and gives slots back once", () => {
  const gate = new ConnectionGate({ maxConnections: 3, maxPerAddress: 2 });
  const a1 = gate.admit("a")!, a2 = gate.admit("a")!;
  assert.equal(gate.admit("a"), undefined, "a's share is taken");
  const b1 = gate.admit("b")!;
  assert.equal(gate.admit("c"), undefined, "all three are taken");
  a1();
  a1();
  assert.equal(gate.open, 2, "a release counts once");
  assert.ok(gate.admit("c"));
  for (const release of [a2, b1]) release();
  gate.close();
});

Deno.test("IMPS_MAX_CONNECTIONS=0 serves without the guard, for a proxy in front that has one", async () => {
  const server = await spawnServer({ IMPS_DATA: ":memory:", IMPS_MAX_CONNECTIONS: "0" });
  try {
    assert.equal(await health(server.url), 200);
  } finally {
    await server.stop();
  }
});
