/**
 * `deno run -A --v8-flags=--expose-gc scripts/bench_cir.ts [--messages 300] [--connections 10000]
 * [--runs 3] [--pin] [--direct]`: what waking clients costs and gains.
 *
 * Wake latency: alice sends bob a message, one after another, `messages` times per method; the
 * time from alice's SendMessage 200 to bob's wake-up (a WVCI line on his STCP socket, the 200 of
 * his SHTTP long poll, a WVCI frame on his WebSocket) and to the message in hand (his poll's
 * answer), p50 and p99, beside the same for a receiver polling every 10 ms (bench_im's receivers)
 * as the baseline, in the same run. The clients run in a child process, so their timing does not
 * share the server's thread; the server has IMPS_CIR_MIN_GAP_MS 0 (the default 250 ms spaces a
 * session's wake-ups, which only matters when its messages come faster than that).
 *
 * Memory per idle STCP connection: `connections` sessions with STCP agreed, then as many
 * connections from a child process, each having said HELO and been answered OK, held idle; the
 * server's resident memory and JS heap (after GC) with them against without them, per
 * connection, beside the runtime's own floor measured in the same run: as many bare node:net
 * sockets (what STCP holds), and as many bare Deno.Conn with a read pending. Each measurement
 * runs in a fresh process; the STCP one has created its sessions first, whose freed memory new
 * connections partly reuse, as in a server that has run a while.
 *
 * `runs` times each, medians printed. `--pin` puts the server on CPU 0 and the clients on CPU 1.
 * The HTTP port is the guarded listener, as `main.ts` serves it; `--direct` serves it by
 * `Deno.serve` alone.
 */
import net from "node:net";
import { loadConfig } from "../src/config.ts";
import { loadCore } from "../src/core/mod.ts";
import { createServer, type ImpsServer } from "../src/server.ts";
import { hashPassword } from "../src/util/crypto.ts";
import { option, serveForBench } from "./bench_support.ts";

const DOMAIN = "bench.test";
const NS = 'xmlns="http://www.openmobilealliance.org/DTD/WV-CSP1.2"';
const TRC = 'xmlns="http://www.openmobilealliance.org/DTD/WV-TRC1.2"';
const TYPE = { "content-type": "application/vnd.wv.csp.xml" };

const MESSAGES = option("messages", 300);
const CONNECTIONS = option("connections", 10_000);
const RUNS = option("runs", 3);
const POLL_INTERVAL_MS = 10;
const METHODS = ["STCP", "SHTTP long poll", "WebSocket", "polling every 10 ms"] as const;
type Method = (typeof METHODS)[number];

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const half = s.length >> 1;
  return s.length % 2 ? s[half] : (s[half - 1] + s[half]) / 2;
};
const percentile = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const kib = (bytes: number) => `${(bytes / 1024).toFixed(2)} KiB`;

function envelope(sessionId: string | undefined, tid: string, body: string, mode = "Request") {
  const descriptor = sessionId
    ? `<SessionType>Inband</SessionType><SessionID>${sessionId}</SessionID>`
    : "<SessionType>Outband</SessionType>";
  return `<WV-CSP-Message ${NS}><Session><SessionDescriptor>${descriptor}</SessionDescriptor>` +
    `<Transaction><TransactionDescriptor><TransactionMode>${mode}</TransactionMode>` +
    `<TransactionID>${tid}</TransactionID></TransactionDescriptor><TransactionContent ${TRC}>` +
    `${body}</TransactionContent></Transaction></Session></WV-CSP-Message>`;
}

const post = async (url: string, body: string) =>
  await (await fetch(`${url}/csp`, { method: "POST", body, headers: TYPE })).text();

// ---------------------------------------------------------------- the clients (child process)

interface Samples {
  /** From the sender's 200 to the wake-up, ms. */
  wake: number[];
  /** From the sender's 200 to the message in the receiver's hand, ms. */
  inHand: number[];
}

async function latencyClients(url: string): Promise<Record<Method, Samples>> {
  const login = async (name: string) =>
    (await post(
      url,
      envelope(
        undefined,
        "1",
        `<Login-Request><UserID>wv:${name}@${DOMAIN}</UserID><ClientID><URL>http://b</URL>` +
          `</ClientID><Password>secret</Password><SessionCookie>c-${name}</SessionCookie>` +
          `</Login-Request>`,
      ),
    )).match(/<SessionID>([0-9a-f]+)<\/SessionID>/)![1];
  const agree = async (session: string, method: string) =>
    await post(
      url,
      envelope(
        session,
        "2",
        `<ClientCapability-Request><CapabilityList><SupportedCIRMethod>${method}` +
          `</SupportedCIRMethod></CapabilityList></ClientCapability-Request>`,
      ),
    );
  const alice = await login("alice");
  const results = {} as Record<Method, Samples>;
  for (const [i, method] of METHODS.entries()) {
    const name = `bob${i}`;
    const bob = await login(name);
    const wake = await wakeSource(
      method,
      url,
      bob,
      method === "polling every 10 ms" ? undefined : await agree(
        bob,
        { STCP: "STCP", "SHTTP long poll": "SHTTP", WebSocket: "X-WEBSOCKET" }[
          method as "STCP"
        ],
      ),
    );
    const samples: Samples = { wake: [], inHand: [] };
    for (let n = 0; n < MESSAGES; n++) {
      await wake.ready();
      const answer = await post(
        url,
        envelope(
          alice,
          `m${n}`,
          `<SendMessage-Request><DeliveryReport>F</DeliveryReport><MessageInfo><Recipient>` +
            `<User><UserID>wv:${name}@${DOMAIN}</UserID></User></Recipient></MessageInfo>` +
            `<ContentData>${n}</ContentData></SendMessage-Request>`,
        ),
      );
      const answeredAt = performance.now();
      if (!answer.includes("<Code>200</Code>")) throw new Error(`send failed: ${answer}`);
      const woken = await wake.woken();
      // A polling receiver's wake-up is the poll that brought the message.
      const polled = woken.answer ?? await post(url, envelope(bob, "", "<Polling-Request/>"));
      const inHandAt = woken.answer ? woken.at : performance.now();
      const tid = polled.match(/<TransactionID>([0-9a-f]+)<\/TransactionID>/)?.[1];
      if (!tid) throw new Error(`${method}: nothing in hand after the wake-up: ${polled}`);
      samples.wake.push(woken.at - answeredAt);
      samples.inHand.push(inHandAt - answeredAt);
      await post(
        url,
        envelope(
          bob,
          tid,
          `<MessageDelivered><MessageID>${tid}</MessageID></MessageDelivered>`,
          "Response",
        ),
      );
    }
    await wake.close();
    results[method] = samples;
  }
  return results;
}

/** How a receiver learns that something waits: `ready` before each send, `woken` after it. */
interface WakeSource {
  ready(): Promise<void>;
  /** When the wake-up came, and the poll answer that was it, for a polling receiver. */
  woken(): Promise<{ at: number; answer?: string }>;
  close(): Promise<void>;
}

async function wakeSource(
  method: Method,
  url: string,
  session: string,
  agreed?: string,
): Promise<WakeSource> {
  if (method === "STCP") {
    const port = Number(agreed!.match(/<TCPPort>(\d+)<\/TCPPort>/)![1]);
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(new TextEncoder().encode(`HELO ${session}\r\n`));
    const lines = lineReader(conn);
    if (await lines.next() !== "OK") throw new Error("no OK to HELO");
    return {
      ready: () => Promise.resolve(),
      async woken() {
        const line = await lines.next();
        if (!line.startsWith("WVCI")) throw new Error(`not a WVCI: ${line}`);
        return { at: performance.now() };
      },
      close: () => Promise.resolve(conn.close()),
    };
  }
  if (method === "SHTTP long poll") {
    const cirUrl = agreed!.match(/<URL>([^<]+)<\/URL>/)![1];
    let held: Promise<{ at: number }> | undefined;
    return {
      async ready() {
        held = fetch(`${cirUrl}?wait=30`).then(async (r) => {
          const at = performance.now();
          await r.body?.cancel();
          if (r.status !== 200) throw new Error(`long poll answered ${r.status}`);
          return { at };
        });
        // The GET must be held at the server before the message is sent.
        await sleep(5);
      },
      woken: () => held!,
      close: () => Promise.resolve(),
    };
  }
  if (method === "WebSocket") {
    const socket = new WebSocket(`${url.replace(/^http/, "ws")}/cir/ws`);
    const frames: { text: string; at: number }[] = [];
    let notify: (() => void) | undefined;
    socket.onmessage = (e) => {
      frames.push({ text: String(e.data), at: performance.now() });
      notify?.();
    };
    await new Promise((resolve) => socket.onopen = resolve);
    const next = async () => {
      while (frames.length === 0) await new Promise<void>((r) => notify = r);
      return frames.shift()!;
    };
    socket.send(`HELO ${session}`);
    if ((await next()).text !== "OK") throw new Error("no OK to HELO");
    return {
      ready: () => Promise.resolve(),
      async woken() {
        const frame = await next();
        if (!frame.text.startsWith("WVCI")) throw new Error(`not a WVCI: ${frame.text}`);
        return { at: frame.at };
      },
      async close() {
        const closed = new Promise((r) => socket.onclose = r);
        socket.close();
        await closed;
      },
    };
  }
  // Polling every 10 ms, on its own rhythm whatever the sender does: the poll that finds the
  // message is both the wake-up and the message.
  let found: ((woken: { at: number; answer: string }) => void) | undefined;
  let stopped = false;
  const polling = (async () => {
    while (!stopped) {
      const answer = await post(url, envelope(session, "", "<Polling-Request/>"));
      if (answer.includes("<NewMessage>")) found?.({ at: performance.now(), answer });
      await sleep(POLL_INTERVAL_MS);
    }
  })();
  return {
    ready: () => Promise.resolve(),
    woken: () => new Promise((resolve) => found = resolve),
    async close() {
      stopped = true;
      await polling;
    },
  };
}

function lineReader(conn: Deno.Conn): { next(): Promise<string> } {
  const lines: string[] = [];
  let notify: (() => void) | undefined;
  (async () => {
    const buffer = new Uint8Array(256);
    let rest = "";
    for (;;) {
      const n = await conn.read(buffer).catch(() => null);
      if (n === null) return;
      const parts = (rest + new TextDecoder().decode(buffer.subarray(0, n))).split("\r\n");
      rest = parts.pop()!;
      lines.push(...parts);
      notify?.();
    }
  })();
  return {
    async next() {
      while (lines.length === 0) await new Promise<void>((r) => notify = r);
      return lines.shift()!;
    },
  };
}

/** Opens `count` connections to `port`, says HELO for each session id read from `file`, and
 * holds them until its stdin closes. */
async function holdConnections(port: number, file: string, bare: boolean): Promise<void> {
  const sessions = bare ? [] : (await Deno.readTextFile(file)).trim().split("\n");
  const count = bare ? Number(file) : sessions.length;
  const held: Deno.Conn[] = [];
  const BATCH = 200;
  for (let i = 0; i < count; i += BATCH) {
    await Promise.all(Array.from({ length: Math.min(BATCH, count - i) }, async (_, j) => {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      held.push(conn);
      if (bare) return;
      await conn.write(new TextEncoder().encode(`HELO ${sessions[i + j]}\r\n`));
      const buffer = new Uint8Array(16);
      const n = await conn.read(buffer);
      if (n === null || new TextDecoder().decode(buffer.subarray(0, n)) !== "OK\r\n") {
        throw new Error("HELO not answered OK");
      }
    }));
  }
  console.log("held");
  for await (const _ of Deno.stdin.readable);
  for (const conn of held) conn.close();
}

// ------------------------------------------------------------------ the server (this process)

function runSelf(args: string[], cpu: number, stdin: "piped" | "null" = "null") {
  const script = new URL(import.meta.url).pathname;
  const command = [Deno.execPath(), "run", "-A", "--v8-flags=--expose-gc", script, ...args];
  const [cmd, ...rest] = Deno.args.includes("--pin")
    ? ["taskset", "-c", String(cpu), ...command]
    : command;
  return new Deno.Command(cmd, { args: rest, stdout: "piped", stdin }).spawn();
}

function gc(): void {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (!collect) throw new Error("run with --v8-flags=--expose-gc");
  collect();
  collect();
}

/** Resident and JS heap memory once settled and collected. */
async function settledMemory(): Promise<{ rss: number; heap: number }> {
  await sleep(1000);
  gc();
  await sleep(200);
  const { rss, heapUsed, external } = Deno.memoryUsage();
  return { rss, heap: heapUsed + external };
}

interface PerConnection {
  rss: number;
  heap: number;
}

const perConnection = (
  before: { rss: number; heap: number },
  after: { rss: number; heap: number },
): PerConnection => ({
  rss: (after.rss - before.rss) / CONNECTIONS,
  heap: (after.heap - before.heap) / CONNECTIONS,
});

/** Runs the holder child until it prints `held`; returns a function that ends it. */
async function hold(args: string[]): Promise<() => Promise<void>> {
  const child = runSelf(["--hold", ...args], 1, "piped");
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let output = "";
  while (!output.includes("held")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`holder failed: ${output}`);
    output += value;
  }
  return async () => {
    await child.stdin.close();
    await child.status;
    await reader.cancel();
  };
}

/** Memory per bare node:net socket with a data listener, the kind STCP holds (in a fresh
 * process). */
async function nodeFloor(): Promise<PerConnection> {
  const sockets: net.Socket[] = [];
  const server = net.createServer((socket) => {
    sockets.push(socket);
    socket.on("data", () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const before = await settledMemory();
  const port = (server.address() as net.AddressInfo).port;
  const release = await hold(["bare", String(port), String(CONNECTIONS)]);
  while (sockets.length < CONNECTIONS) await sleep(50);
  const after = await settledMemory();
  await release();
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => server.close(resolve));
  return perConnection(before, after);
}

/** Memory per bare Deno.Conn with one read pending (in a fresh process). */
async function bareFloor(): Promise<PerConnection> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) {
      conns.push(conn);
      conn.read(new Uint8Array(64)).catch(() => {});
    }
  })();
  const before = await settledMemory();
  const release = await hold(["bare", String(listener.addr.port), String(CONNECTIONS)]);
  while (conns.length < CONNECTIONS) await sleep(50);
  const after = await settledMemory();
  await release();
  listener.close();
  for (const conn of conns) {
    try {
      conn.close();
    } catch {
      // closed by the peer already
    }
  }
  await accepting;
  return perConnection(before, after);
}

/** Memory per idle STCP connection beyond its session (in a fresh server process). */
async function stcpPerConnection(): Promise<PerConnection> {
  const dir = await Deno.makeTempDir();
  const { server, http } = await startBenchServer(dir);
  try {
    return await stcpConnections(server, dir);
  } finally {
    await http.shutdown();
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
}

async function stcpConnections(server: ImpsServer, dir: string): Promise<PerConnection> {
  const { context } = server;
  const ids: string[] = [];
  for (let i = 0; i < CONNECTIONS; i += 500) {
    await Promise.all(Array.from({ length: Math.min(500, CONNECTIONS - i) }, async (_, j) => {
      let session = await context.sessions.start({
        userId: `wv:idle${i + j}@${DOMAIN}`,
        version: "1.2",
        cookie: `c${i + j}`,
        ttl: 7200,
        multiTrans: 1,
      });
      const previous = session.cir;
      session = await context.sessions.update(session, {
        cir: { methods: ["STCP"], token: crypto.randomUUID().replaceAll("-", "") },
      });
      await context.cir!.agreed(session, previous);
      ids.push(session.id);
    }));
  }
  await Deno.writeTextFile(`${dir}/sessions.txt`, ids.join("\n"));
  // A HELO looks at what waits for its session, which reads the session's queue and mailbox into
  // memory as any poll does: session state, looked at once before the baseline.
  for (const id of ids) await context.outbox.hasDeliverable(id, Date.now());
  const before = await settledMemory();
  const release = await hold(["stcp", String(server.cir!.stcp!.port), `${dir}/sessions.txt`]);
  if (server.cir!.stcp!.connections !== CONNECTIONS) throw new Error("not every HELO held");
  const after = await settledMemory();
  await release();
  return perConnection(before, after);
}

async function startBenchServer(dir: string) {
  const config = loadConfig({
    IMPS_DOMAIN: DOMAIN,
    IMPS_DATA: `${dir}/imps.kv`,
    IMPS_CIR_TCP_PORT: "0",
    IMPS_CIR_TCP_PER_IP: String(CONNECTIONS + 100),
    IMPS_CIR_TCP_MAX: String(CONNECTIONS + 100),
    IMPS_CIR_HTTP: "true",
    IMPS_CIR_WEBSOCKET: "true",
    IMPS_CIR_MIN_GAP_MS: "0",
  });
  const server = await createServer(config, {
    parseXml: (await loadCore(config.core)).parseXml,
    sweepIntervalMs: 0,
  });
  const http = serveForBench(config, server);
  return { server, http, url: `http://127.0.0.1:${http.addr.port}` };
}

/** Runs this script with `--memory <kind>` in a fresh process on the server's CPU. */
async function measureMemory(kind: "stcp" | "bare" | "node"): Promise<PerConnection> {
  const child = runSelf(["--memory", kind, ...Deno.args], 0);
  const output = await new Response(child.stdout).text();
  if (!(await child.status).success) throw new Error(`memory run ${kind} failed`);
  return JSON.parse(output.trim().split("\n").at(-1)!);
}

async function main() {
  if (Deno.args.includes("--pin")) {
    await new Deno.Command("taskset", { args: ["-a", "-c", "-p", "0", String(Deno.pid)] })
      .output();
  }
  const dir = await Deno.makeTempDir();
  const { server, http, url } = await startBenchServer(dir);
  try {
    const password = await hashPassword("secret");
    for (const name of ["alice", ...METHODS.map((_, i) => `bob${i}`)]) {
      await server.context.users.create({ id: `wv:${name}@${DOMAIN}`, password, createdAt: 0 });
    }
    const latency: Record<Method, Samples>[] = [];
    const memory: { stcp: PerConnection; node: PerConnection; deno: PerConnection }[] = [];
    for (let run = 0; run < RUNS; run++) {
      const child = runSelf(["--latency", url], 1);
      const output = await new Response(child.stdout).text();
      if (!(await child.status).success) throw new Error("latency clients failed");
      latency.push(JSON.parse(output));
      const deno = await measureMemory("bare");
      const node = await measureMemory("node");
      const stcp = await measureMemory("stcp");
      memory.push({ stcp, node, deno });
      const r = latency.at(-1)!;
      console.log(
        `run ${run + 1}: ` + METHODS.map((m) =>
          `${m} ${percentile(r[m].wake, 0.5).toFixed(2)}/${
            percentile(r[m].wake, 0.99).toFixed(2)
          } ms`
        ).join(", ") +
          `; per idle STCP connection ${kib(stcp.rss)} resident (${kib(stcp.heap)} JS), ` +
          `bare node:net socket ${kib(node.rss)} (${kib(node.heap)} JS), ` +
          `bare Deno.Conn ${kib(deno.rss)} (${kib(deno.heap)} JS)`,
      );
    }
    console.log(
      `\n${MESSAGES} messages per method and run, ${RUNS} runs; medians of the runs' figures` +
        (Deno.args.includes("--pin") ? "; server on CPU 0, clients on CPU 1" : ""),
    );
    console.log("method                 200→wake-up p50 / p99      200→message in hand p50 / p99");
    for (const m of METHODS) {
      const mid = (pick: (s: Samples) => number[], p: number) =>
        median(latency.map((r) => percentile(pick(r[m]), p))).toFixed(2);
      console.log(
        `${m.padEnd(22)} ${mid((s) => s.wake, 0.5).padStart(8)} / ${
          mid((s) => s.wake, 0.99).padStart(7)
        } ms     ${mid((s) => s.inHand, 0.5).padStart(8)} / ${
          mid((s) => s.inHand, 0.99).padStart(7)
        } ms`,
      );
    }
    const mid = (pick: (m: (typeof memory)[number]) => number) => median(memory.map(pick));
    console.log(
      `\nmemory per connection, ${CONNECTIONS} held, each process fresh, resident (JS heap):\n` +
        `  idle STCP connection after HELO, beyond its session  ${kib(mid((m) => m.stcp.rss))} ` +
        `(${kib(mid((m) => m.stcp.heap))})\n` +
        `  bare node:net socket with a data listener           ${kib(mid((m) => m.node.rss))} ` +
        `(${kib(mid((m) => m.node.heap))})\n` +
        `  bare Deno.Conn with a read pending                   ${kib(mid((m) => m.deno.rss))} ` +
        `(${kib(mid((m) => m.deno.heap))})`,
    );
  } finally {
    await http.shutdown();
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
}

if (Deno.args.includes("--latency")) {
  const url = Deno.args[Deno.args.indexOf("--latency") + 1];
  console.log(JSON.stringify(await latencyClients(url)));
} else if (Deno.args.includes("--memory")) {
  const kind = Deno.args[Deno.args.indexOf("--memory") + 1];
  const measure = { bare: bareFloor, node: nodeFloor, stcp: stcpPerConnection }[kind]!;
  console.log(JSON.stringify(await measure()));
} else if (Deno.args.includes("--hold")) {
  const [kind, port, what] = Deno.args.slice(Deno.args.indexOf("--hold") + 1);
  await holdConnections(Number(port), what, kind === "bare");
} else {
  await main();
}
