/**
 * `deno run -A scripts/bench_im.ts [--pairs 50] [--messages 200] [--warmup 20000]
 * [--multi-trans 10] [--poll-interval 10] [--rounds 3] [--memory] [--pin] [--direct]`: instant
 * messaging over real HTTP, against a Hono POST echo of the same bodies.
 *
 * The server runs in this process on a file KV in a temp directory (`--memory`: an in-memory KV,
 * which shows what the file and its fsyncs cost); the clients run in a child process (the same
 * script with `--load`), so client work does not share the server's thread.
 * First `warmup` messages in all go untimed (V8 optimizes the server's hot code only after some
 * ten thousand requests); then each of `pairs` senders sends `messages` messages, one after
 * another, to its own receiver. Each receiver agreed MultiTrans in ClientCapability and polls:
 * every Polling-Request carries the acknowledgements (MessageDelivered Responses) of what the
 * previous poll handed out, and the last ones go alone. A receiver polls every `--poll-interval`
 * ms, at once while its answers say Poll T.
 * `--multi-trans 1` makes each receiver take one message per poll.
 *
 * Prints delivered messages/s (counted once the last acknowledgement is answered) and the
 * send-to-receipt latency (p50, p99); then the same clients' rate against an echo route serving
 * the same bodies, with as many connections as there are clients, from a process of its own on
 * the same CPU (`--echo-server`: as rounds alternate, neither server's optimized code is shaped by
 * the other's traffic); the ratio of the two rates; and the server's CPU per message, also by
 * thread (on Linux): the JS thread, KV's SQLite thread and V8's helpers (garbage collection,
 * optimizing compilation). IM and echo take turns `--rounds` times; each IM round logs in afresh
 * and has the whole warm-up again (with a tenth of it, the rounds after the first measured the
 * idle-then-busy server up to a fifth slower). Each round is printed, then the medians, the
 * ratio being the median of the rounds'.
 * `--pin` puts the server on CPU 0 and the clients on CPU 1 (taskset).
 * The server is reached through its guarded listener, as `main.ts` serves it; `--direct` serves
 * it by `Deno.serve` alone (what the guard costs is the difference).
 * The server logs at `warn` (nothing, in a good run); `--log FILE` logs at `info` into FILE, an
 * access line per request as in production (`scripts/bench_overhead.ts` compares the two).
 */
import { Hono } from "hono";
import { loadConfig } from "../src/config.ts";
import { loadCore } from "../src/core/mod.ts";
import { log } from "../src/observe/log.ts";
import { createServer } from "../src/server.ts";
import { connectionsForFileLimit, serveGuarded } from "../src/transport/http_listener.ts";
import { hashPassword } from "../src/util/crypto.ts";

const NS = 'xmlns="http://www.openmobilealliance.org/DTD/WV-CSP1.2"';
const TRC = 'xmlns="http://www.openmobilealliance.org/DTD/WV-TRC1.2"';
const TYPE = { "content-type": "application/vnd.wv.csp.xml" };
const TEXT = "Benchmark message of a typical chat length, about eighty bytes of text.";
const DOMAIN = "bench.test";
/** What the clients print once logged in, before the timed part, and right after it. */
const READY = "ready";
const DONE = "done";

function option(name: string, fallback: number): number {
  const i = Deno.args.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(Deno.args[i + 1]);
}
/** Senders, each with a request at the server at almost any moment: 50, the concurrency of the
 * calibration the throughput goal comes from (50 connections, a request always in flight). */
const PAIRS = option("pairs", 50);
const MESSAGES = option("messages", 200);
/** Messages sent in all before the timed part, shared among the senders. */
const WARMUP = option("warmup", 20_000);
const MULTI_TRANS = Math.min(option("multi-trans", 10), 15);
/** A receiver's polling interval, ms: it polls again at once only while Poll says T. */
const POLL_INTERVAL_MS = option("poll-interval", 10);
/** The echo is fast: several passes make its timing as long as the IM run's. */
const ECHO_PASSES = 5;
/** IM and echo measured in turn this many times; the medians are reported, since a busy
 * machine's speed drifts over seconds and one pair of measurements can land apart. */
const ROUNDS = option("rounds", 3);

interface Transaction {
  mode?: "Request" | "Response";
  tid: string;
  body: string;
}

function envelope(sessionId: string | undefined, transactions: Transaction[]): string {
  const descriptor = sessionId
    ? `<SessionType>Inband</SessionType><SessionID>${sessionId}</SessionID>`
    : "<SessionType>Outband</SessionType>";
  const txs = transactions.map((t) =>
    `<Transaction><TransactionDescriptor><TransactionMode>${t.mode ?? "Request"}` +
    `</TransactionMode><TransactionID>${t.tid}</TransactionID></TransactionDescriptor>` +
    `<TransactionContent ${TRC}>${t.body}</TransactionContent></Transaction>`
  ).join("");
  return `<WV-CSP-Message ${NS}><Session><SessionDescriptor>${descriptor}</SessionDescriptor>` +
    `${txs}</Session></WV-CSP-Message>`;
}

const sendBody = (to: string, n: number) =>
  `<SendMessage-Request><DeliveryReport>F</DeliveryReport><MessageInfo><Recipient><User>` +
  `<UserID>wv:${to}@${DOMAIN}</UserID></User></Recipient></MessageInfo><ContentData>${n} ${TEXT}` +
  `</ContentData></SendMessage-Request>`;

const percentile = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];

let requests = 0;
const post = async (url: string, body: string) => {
  requests++;
  return await (await fetch(url, { method: "POST", body, headers: TYPE })).text();
};

interface Round {
  im: LoadResult;
  echo: number;
  ratio: number;
  commits: number;
  writes: number;
  cpuPerMessage: string;
  cpuPerEcho: string;
  threads: string;
}

/** The middle value; for an even count, the mean of the two in the middle (an even number of
 * rounds must not report the better of them). */
function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const half = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[half] : (sorted[half - 1] + sorted[half]) / 2;
}

interface LoadResult {
  rate: number;
  p50?: number;
  p99?: number;
  /** HTTP requests per message delivered. */
  perMessage?: number;
}

/** The clients' side of the IM run. */
async function loadIm(url: string): Promise<LoadResult> {
  const login = async (name: string) => {
    const answer = await post(
      url,
      envelope(undefined, [{
        tid: "1",
        body: `<Login-Request><UserID>wv:${name}@${DOMAIN}</UserID><ClientID><URL>http://b` +
          `</URL></ClientID><Password>secret</Password><TimeToLive>3600</TimeToLive>` +
          `</Login-Request>`,
      }]),
    );
    return answer.match(/<SessionID>([0-9a-f]+)<\/SessionID>/)![1];
  };
  const pairs = [];
  for (let i = 0; i < PAIRS; i++) {
    const receiver = await login(`r${i}`);
    await post(
      url,
      envelope(receiver, [{
        tid: "2",
        body: `<ClientCapability-Request><CapabilityList><MultiTrans>${MULTI_TRANS}` +
          `</MultiTrans></CapabilityList></ClientCapability-Request>`,
      }]),
    );
    pairs.push({ sender: await login(`s${i}`), receiver, to: `r${i}` });
  }

  // Untimed first, as the echo has a warm-up round: V8 optimizes the server's many hot functions
  // only after some ten thousand requests.
  await exchange(url, pairs, Math.ceil(WARMUP / PAIRS));
  console.log(READY);
  const requestsBefore = requests;
  const start = performance.now();
  const latencies = await exchange(url, pairs, MESSAGES);
  const seconds = (performance.now() - start) / 1000;
  const perMessage = (requests - requestsBefore) / (PAIRS * MESSAGES);
  console.log(DONE);
  // The next round logs in afresh: these sessions must not linger beside its own.
  const logout = { tid: "9", body: "<Logout-Request/>" };
  await Promise.all(
    pairs.flatMap((p) => [p.sender, p.receiver]).map((id) => post(url, envelope(id, [logout]))),
  );
  return {
    rate: (PAIRS * MESSAGES) / seconds,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    perMessage,
  };
}

/** Each sender sends `messages` messages to its receiver, which polls them in; resolves when the
 * last acknowledgement is answered, with each message's send-to-receipt latency, ms. */
async function exchange(
  url: string,
  pairs: { sender: string; receiver: string; to: string }[],
  messages: number,
): Promise<number[]> {
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  await Promise.all(pairs.flatMap(({ sender, receiver, to }, p) => [
    (async () => {
      for (let n = 0; n < messages; n++) {
        sentAt.set(`${p}:${n}`, performance.now());
        const answer = await post(url, envelope(sender, [{ tid: `m${n}`, body: sendBody(to, n) }]));
        if (!answer.includes("<Code>200</Code>")) throw new Error(`send failed: ${answer}`);
      }
    })(),
    (async () => {
      let acks: Transaction[] = [];
      for (let received = 0; received < messages;) {
        const polledAt = performance.now();
        const poll = { tid: "", body: "<Polling-Request/>" };
        const answer = await post(url, envelope(receiver, [...acks, poll]));
        acks = [];
        for (const tx of answer.split("<Transaction>").slice(1)) {
          const n = tx.match(/<ContentData>(\d+) /)![1];
          latencies.push(performance.now() - sentAt.get(`${p}:${n}`)!);
          const tid = tx.match(/<TransactionID>([0-9a-f]+)<\/TransactionID>/)![1];
          const id = tx.match(/<MessageID>([0-9a-f]+)<\/MessageID>/)![1];
          const body = `<MessageDelivered><MessageID>${id}</MessageID></MessageDelivered>`;
          acks.push({ mode: "Response", tid, body });
          received++;
        }
        // Unless more is said to be waiting, the next poll comes a polling interval later.
        const wait = POLL_INTERVAL_MS - (performance.now() - polledAt);
        if (wait > 0 && !answer.includes("<Poll>T</Poll>")) {
          await new Promise((r) => setTimeout(r, wait));
        }
      }
      if (acks.length > 0) await post(url, envelope(receiver, acks));
    })(),
  ]));
  return latencies;
}

/** The same number of connections posting the send bodies to the echo route: a warm-up pass,
 * then `ECHO_PASSES` timed passes of as many requests as the IM run made messages. */
async function loadEcho(url: string): Promise<LoadResult> {
  const pass = async (requests: number) => {
    await Promise.all(Array.from({ length: 2 * PAIRS }, async (_, c) => {
      for (let n = c; n < requests; n += 2 * PAIRS) {
        await post(url, envelope("0123456789abcdef", [{ tid: `m${n}`, body: sendBody("r0", n) }]));
      }
    }));
  };
  await pass(PAIRS * MESSAGES);
  console.log(READY);
  const start = performance.now();
  await pass(ECHO_PASSES * PAIRS * MESSAGES);
  const rate = (ECHO_PASSES * PAIRS * MESSAGES) / ((performance.now() - start) / 1000);
  console.log(DONE);
  return { rate };
}

/** CPU time a process (this one by default) has used, seconds (Linux; undefined elsewhere). */
function cpuSeconds(pid: number | "self" = "self"): number | undefined {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/** CPU time of each of this process's threads by thread name (the JS thread, KV's SQLite
 * thread, V8's helper threads), seconds (Linux; empty elsewhere). */
function threadSeconds(): Map<string, number> {
  const byName = new Map<string, number>();
  try {
    for (const task of Deno.readDirSync("/proc/self/task")) {
      const stat = Deno.readTextFileSync(`/proc/self/task/${task.name}/stat`);
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      byName.set(name, (byName.get(name) ?? 0) + (Number(fields[11]) + Number(fields[12])) / 100);
    }
  } catch {
    // Not Linux, or a thread ended while read: no breakdown.
  }
  return byName;
}

/** Where the server's CPU went between two threadSeconds() readings, µs per unit of work. */
function threadBreakdown(from: Map<string, number>, to: Map<string, number>, units: number) {
  return [...to].map(([name, seconds]) => [name, seconds - (from.get(name) ?? 0)] as const)
    .filter(([, seconds]) => seconds > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([name, seconds]) => `${name} ${(seconds * 1e6 / units).toFixed(0)} µs`)
    .join(", ");
}

/** Server CPU per unit of work, microseconds, from two cpuSeconds() readings. */
const cpuPer = (from: number | undefined, to: number | undefined, units: number) =>
  from === undefined || to === undefined ? "n/a" : `${((to - from) * 1e6 / units).toFixed(0)} µs`;

/** This script in a child process with `args`, its output piped; on CPU `cpu` with `--pin`. */
function runSelf(args: string[], cpu: number): Deno.ChildProcess {
  const command = [Deno.execPath(), "run", "-A", new URL(import.meta.url).pathname, ...args];
  const [cmd, ...rest] = Deno.args.includes("--pin")
    ? ["taskset", "-c", String(cpu), ...command]
    : command;
  return new Deno.Command(cmd, { args: rest, stdout: "piped" }).spawn();
}

/** Runs this script's client side in a child process (pinned to CPU 1 with `--pin`); `timed`
 * hears when the clients start and end the timed part. */
async function runClients(
  kind: "im" | "echo",
  url: string,
  timed: { start(): void; end(): void },
): Promise<LoadResult> {
  const child = runSelf(["--load", kind, url, ...Deno.args], 1);
  let output = "";
  for await (const text of child.stdout.pipeThrough(new TextDecoderStream())) {
    output += text;
    for (const [marker, mark] of [[READY, timed.start], [DONE, timed.end]] as const) {
      if (output.startsWith(`${marker}\n`)) {
        output = output.slice(marker.length + 1);
        mark();
      }
    }
  }
  if (!(await child.status).success) throw new Error(`${kind} clients failed`);
  return JSON.parse(output);
}

async function main() {
  if (Deno.args.includes("--pin")) {
    const pin = ["-a", "-c", "-p", "0", String(Deno.pid)];
    await new Deno.Command("taskset", { args: pin, stdout: "null" }).output();
  }
  const dir = await Deno.makeTempDir();
  const memory = Deno.args.includes("--memory");
  const logTo = Deno.args.indexOf("--log");
  log.configure(
    logTo === -1 ? { level: "warn" } : {
      level: "info",
      to: Deno.openSync(Deno.args[logTo + 1], { write: true, create: true, truncate: true }),
    },
  );
  const config = loadConfig({
    IMPS_DOMAIN: DOMAIN,
    IMPS_DATA: memory ? ":memory:" : `${dir}/imps.kv`,
  });
  const server = await createServer(config, {
    parseXml: (await loadCore(config.core)).parseXml,
    sweepIntervalMs: 0,
  });
  // Served as main.ts serves it, through the guarded listener; `--direct`: by Deno.serve alone.
  const http = Deno.args.includes("--direct")
    ? Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, server.app.fetch)
    : serveGuarded({
      hostname: "127.0.0.1",
      port: 0,
      maxConnections: connectionsForFileLimit(),
      maxPerAddress: config.maxConnectionsPerAddress,
      headTimeoutMs: config.headTimeoutS * 1000,
      bodyTimeoutMs: config.bodyTimeoutS * 1000,
      idleTimeoutMs: config.idleTimeoutS * 1000,
    }, server.app.fetch);
  const imUrl = `http://127.0.0.1:${http.addr.port}/csp`;
  const echo = await startEchoServer();
  try {
    const password = await hashPassword("secret");
    for (let i = 0; i < PAIRS; i++) {
      for (const name of [`s${i}`, `r${i}`]) {
        await server.context.users.create({
          id: `wv:${name}@${DOMAIN}`,
          password,
          createdAt: Date.now(),
        });
      }
    }
    const rounds: Round[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      let before = { ...server.context.store.commits.stats };
      let after = before;
      let cpuStart: number | undefined, cpuIm: number | undefined;
      let threadsStart = new Map<string, number>(), threadsIm = threadsStart;
      const im = await runClients("im", imUrl, {
        start() {
          before = { ...server.context.store.commits.stats };
          cpuStart = cpuSeconds();
          threadsStart = threadSeconds();
        },
        end() {
          after = { ...server.context.store.commits.stats };
          cpuIm = cpuSeconds();
          threadsIm = threadSeconds();
        },
      });
      let cpuEchoStart: number | undefined, cpuEcho: number | undefined;
      const echoed = await runClients("echo", echo.url, {
        start: () => cpuEchoStart = cpuSeconds(echo.pid),
        end: () => cpuEcho = cpuSeconds(echo.pid),
      });
      rounds.push({
        im,
        echo: echoed.rate,
        ratio: im.rate / echoed.rate,
        commits: after.commits - before.commits,
        writes: after.writes - before.writes,
        cpuPerMessage: cpuPer(cpuStart, cpuIm, PAIRS * MESSAGES),
        cpuPerEcho: cpuPer(cpuEchoStart, cpuEcho, ECHO_PASSES * PAIRS * MESSAGES),
        threads: threadBreakdown(threadsStart, threadsIm, PAIRS * MESSAGES),
      });
    }

    console.log(
      `${PAIRS} pairs x ${MESSAGES} messages, delivered by polling (MultiTrans ${MULTI_TRANS})` +
        (Deno.args.includes("--pin") ? ", server on CPU 0, clients on CPU 1" : "") +
        (memory ? ", in-memory KV" : "") +
        `; ${ROUNDS} rounds, each IM then echo`,
    );
    for (const [i, r] of rounds.entries()) {
      console.log(
        `round ${i + 1}: IM ${r.im.rate.toFixed(0)} messages/s (p50 ${r.im.p50!.toFixed(1)} ms, ` +
          `p99 ${r.im.p99!.toFixed(1)} ms, ${r.im.perMessage!.toFixed(2)} HTTP requests per ` +
          `message, ${r.commits} commits carrying ${r.writes} writes), echo ${r.echo.toFixed(0)} ` +
          `requests/s, ratio ${(100 * r.ratio).toFixed(0)}%`,
      );
      console.log(
        `         server CPU ${r.cpuPerMessage} per message (${r.threads || "no breakdown"}), ` +
          `${r.cpuPerEcho} per echo request`,
      );
    }
    const mid = (pick: (r: Round) => number) => median(rounds.map(pick));
    console.log(
      `median: IM ${mid((r) => r.im.rate).toFixed(0)} messages/s, p50 ` +
        `${mid((r) => r.im.p50!).toFixed(1)} ms, p99 ${mid((r) => r.im.p99!).toFixed(1)} ms; ` +
        `echo ${mid((r) => r.echo).toFixed(0)} requests/s (same bodies, same connections)`,
    );
    console.log(`ratio: ${(100 * mid((r) => r.ratio)).toFixed(0)}% of echo (goal >= 33%)`);
  } finally {
    await http.shutdown();
    await echo.stop();
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
}

/** The echo, served by a process of its own (this script with `--echo-server`) on the server's
 * CPU: in one process the two servers would share V8's optimized code and inline caches for
 * Deno's HTTP layer and Hono, each shaped by the other's traffic as the rounds alternate. */
async function startEchoServer(): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  const child = runSelf(["--echo-server"], 0);
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let output = "";
  while (!output.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("echo server failed to start");
    output += value;
  }
  return {
    url: `http://127.0.0.1:${output.trim()}/echo`,
    pid: child.pid,
    async stop() {
      child.kill();
      await child.status;
      await reader.cancel();
    },
  };
}

function serveEcho(): void {
  const echo = new Hono();
  echo.post("/echo", async (c) => c.body(await c.req.arrayBuffer(), 200, TYPE));
  Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: ({ port }) => console.log(port) },
    echo.fetch,
  );
}

const load = Deno.args.indexOf("--load");
if (Deno.args.includes("--echo-server")) serveEcho();
else if (load === -1) await main();
else {
  const [kind, url] = Deno.args.slice(load + 1);
  const result = kind === "im" ? await loadIm(url) : await loadEcho(url);
  console.log(JSON.stringify(result));
}
