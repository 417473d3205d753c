/**
 * `deno run -A scripts/bench_im.ts [--pairs 50] [--messages 200] [--warmup 20000]
 * [--multi-trans 10] [--poll-interval 10] [--rounds 3] [--memory] [--pin] [--direct] [--wbxml]
 * [--stcp] [--wake-gap 250]`: instant messaging over real HTTP, against a Hono POST echo of the
 * same bodies.
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
 * `--wbxml` measures the same IM run in WBXML against XML instead of against the echo: each round
 * runs it once in each encoding (the order alternating from round to round), and the ratio is
 * WBXML's rate to XML's.
 * `--stcp` adds, to each round against the echo, the same IM run with receivers woken by STCP
 * instead: each agrees STCP in its ClientCapability, says HELO on its own TCP connection, and
 * polls when a WVCI line comes (and at once while its answers say Poll T), never on a timer;
 * printed beside the polled run, with HTTP requests per message for both. `--wake-gap <ms>` sets
 * the server's shortest time between two wake-ups of one session (IMPS_CIR_MIN_GAP_MS, default
 * 250).
 * The server logs at `warn` (nothing, in a good run); `--log FILE` logs at `info` into FILE, an
 * access line per request as in production (what that and the metrics cost:
 * `scripts/bench_overhead.ts`).
 */
import { Hono } from "hono";
import { decodeCsp } from "../src/codec/csp/mod.ts";
import { WbxmlWriter } from "../src/codec/wbxml/mod.ts";
import { DEFAULT_XML_LIMITS } from "../src/codec/xml/tree.ts";
import { loadConfig } from "../src/config.ts";
import { loadCore } from "../src/core/mod.ts";
import { TsWbxmlTokenizer } from "../src/core/wbxml_tokenizer_ts.ts";
import { wbxmlTreeSource } from "../src/core/wbxml_tree.ts";
import { createServer, type ImpsServer } from "../src/server.ts";
import { log } from "../src/observe/log.ts";
import { hashPassword } from "../src/util/crypto.ts";
import { option, serveForBench } from "./bench_support.ts";

const NS = 'xmlns="http://www.openmobilealliance.org/DTD/WV-CSP1.2"';
const TRC = 'xmlns="http://www.openmobilealliance.org/DTD/WV-TRC1.2"';
const TYPE = { "content-type": "application/vnd.wv.csp.xml" };
const WBXML_TYPE = { "content-type": "application/vnd.wv.csp.wbxml" };
const TEXT = "Benchmark message of a typical chat length, about eighty bytes of text.";
const DOMAIN = "bench.test";
/** What the clients print once logged in, before the timed part, and right after it. */
const READY = "ready";
const DONE = "done";

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
/** Whether each round also runs the IM clients with receivers woken by STCP. */
const STCP = Deno.args.includes("--stcp");
/** The server's shortest time between two wake-ups of a session, ms (IMPS_CIR_MIN_GAP_MS). */
const WAKE_GAP_MS = option("wake-gap", 250);

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

/** What the clients send, as they would write it: a primitive per transaction. */
type Primitive =
  | { kind: "login"; name: string }
  | { kind: "capability"; stcp?: boolean }
  | { kind: "send"; to: string; n: number }
  | { kind: "poll" }
  | { kind: "delivered"; messageId: string }
  | { kind: "logout" };

interface Outgoing {
  mode?: "Request" | "Response";
  tid: string;
  primitive: Primitive;
}

/** What the clients read from an answer. */
interface Answer {
  sessionId?: string;
  code?: number;
  poll: boolean;
  /** Server-originated transactions handed out: TransactionID, MessageID, message number. */
  messages: { tid: string; messageId: string; n: number }[];
  /** The TCPPort a ClientCapability agreed for STCP. */
  tcpPort?: number;
}

/** A client's wire: one encoding's envelope writing and answer reading. */
interface Wire {
  post(url: string, sessionId: string | undefined, transactions: Outgoing[]): Promise<Answer>;
}

function xmlPrimitive(p: Primitive): string {
  switch (p.kind) {
    case "login":
      return `<Login-Request><UserID>wv:${p.name}@${DOMAIN}</UserID><ClientID><URL>http://b` +
        `</URL></ClientID><Password>secret</Password><TimeToLive>3600</TimeToLive>` +
        `</Login-Request>`;
    case "capability":
      return `<ClientCapability-Request><CapabilityList><MultiTrans>${MULTI_TRANS}` +
        `</MultiTrans>${p.stcp ? "<SupportedCIRMethod>STCP</SupportedCIRMethod>" : ""}` +
        `</CapabilityList></ClientCapability-Request>`;
    case "send":
      return sendBody(p.to, p.n);
    case "poll":
      return "<Polling-Request/>";
    case "delivered":
      return `<MessageDelivered><MessageID>${p.messageId}</MessageID></MessageDelivered>`;
    case "logout":
      return "<Logout-Request/>";
  }
}

/** XML read with patterns, as before WBXML: the figures stay comparable with earlier runs. */
const xmlWire: Wire = {
  async post(url, sessionId, transactions) {
    const body = envelope(
      sessionId,
      transactions.map((t) => ({ mode: t.mode, tid: t.tid, body: xmlPrimitive(t.primitive) })),
    );
    requests++;
    const text = await (await fetch(url, { method: "POST", body, headers: TYPE })).text();
    const code = text.match(/<Code>(\d+)<\/Code>/)?.[1];
    const tcpPort = text.match(/<TCPPort>(\d+)<\/TCPPort>/)?.[1];
    return {
      tcpPort: tcpPort === undefined ? undefined : Number(tcpPort),
      sessionId: text.match(/<SessionID>([0-9a-f]+)<\/SessionID>/)?.[1],
      code: code === undefined ? undefined : Number(code),
      poll: text.includes("<Poll>T</Poll>"),
      messages: text.split("<Transaction>").slice(1).flatMap((tx) => {
        const n = tx.match(/<ContentData>(\d+) /);
        if (!n) return [];
        return [{
          tid: tx.match(/<TransactionID>([0-9a-f]+)<\/TransactionID>/)![1],
          messageId: tx.match(/<MessageID>([0-9a-f]+)<\/MessageID>/)![1],
          n: Number(n[1]),
        }];
      }),
    };
  },
};

const readWbxml = wbxmlTreeSource(new TsWbxmlTokenizer());

/** WBXML written element by element and read with the codec, as a phone's engine would. */
const wbxmlWire: Wire = {
  async post(url, sessionId, transactions) {
    const w = new WbxmlWriter("1.2");
    w.open("WV-CSP-Message", { xmlns: "http://www.openmobilealliance.org/DTD/WV-CSP1.2" });
    w.open("Session").open("SessionDescriptor");
    w.leaf("SessionType", sessionId ? "Inband" : "Outband");
    if (sessionId) w.leaf("SessionID", sessionId);
    w.close("SessionDescriptor");
    for (const t of transactions) {
      w.open("Transaction").open("TransactionDescriptor");
      w.leaf("TransactionMode", t.mode ?? "Request").leaf("TransactionID", t.tid);
      w.close("TransactionDescriptor");
      w.open("TransactionContent", { xmlns: "http://www.openmobilealliance.org/DTD/WV-TRC1.2" });
      writePrimitive(w, t.primitive);
      w.close("TransactionContent").close("Transaction");
    }
    w.close("Session").close("WV-CSP-Message");
    requests++;
    const response = await fetch(url, { method: "POST", body: w.finish(), headers: WBXML_TYPE });
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (bytes.length === 0) return { poll: false, messages: [] };
    const message = decodeCsp(readWbxml(bytes, DEFAULT_XML_LIMITS));
    const first = message.transactions[0].primitive.body;
    const result = first.Result as { Code?: number } | undefined;
    const agreed = first.AgreedCapabilityList as { TCPPort?: number } | undefined;
    return {
      tcpPort: agreed?.TCPPort === undefined ? undefined : Number(agreed.TCPPort),
      sessionId: typeof first.SessionID === "string" ? first.SessionID : undefined,
      code: result?.Code,
      poll: message.poll === true,
      messages: message.transactions.flatMap((tx) => {
        if (tx.primitive.name !== "NewMessage") return [];
        const info = tx.primitive.body.MessageInfo as { MessageID: string };
        const n = Number(String(tx.primitive.body.ContentData).split(" ", 1)[0]);
        return [{ tid: tx.transactionId!, messageId: info.MessageID, n }];
      }),
    };
  },
};

function writePrimitive(w: WbxmlWriter, p: Primitive): void {
  switch (p.kind) {
    case "login":
      w.open("Login-Request").leaf("UserID", `wv:${p.name}@${DOMAIN}`);
      w.open("ClientID").leaf("URL", "http://b").close("ClientID");
      w.leaf("Password", "secret").leaf("TimeToLive", "3600").close("Login-Request");
      return;
    case "capability":
      w.open("ClientCapability-Request").open("CapabilityList");
      w.leaf("MultiTrans", String(MULTI_TRANS));
      if (p.stcp) w.leaf("SupportedCIRMethod", "STCP");
      w.close("CapabilityList");
      w.close("ClientCapability-Request");
      return;
    case "send":
      w.open("SendMessage-Request").leaf("DeliveryReport", "F").open("MessageInfo");
      w.open("Recipient").open("User").leaf("UserID", `wv:${p.to}@${DOMAIN}`).close("User");
      w.close("Recipient").close("MessageInfo");
      w.leaf("ContentData", `${p.n} ${TEXT}`).close("SendMessage-Request");
      return;
    case "poll":
      w.empty("Polling-Request");
      return;
    case "delivered":
      w.open("MessageDelivered").leaf("MessageID", p.messageId).close("MessageDelivered");
      return;
    case "logout":
      w.empty("Logout-Request");
  }
}

const percentile = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];

let requests = 0;
/** The echo's clients post XML text. */
const post = async (url: string, body: string) => {
  requests++;
  return await (await fetch(url, { method: "POST", body, headers: TYPE })).text();
};

interface Round extends ImRun {
  /** The same with receivers woken by STCP (`--stcp`). */
  stcp?: ImRun;
  echo: number;
  ratio: number;
  cpuPerEcho: string;
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

/** The clients' side of the IM run, speaking through `wire`; `stcp`: receivers are woken by
 * STCP rather than polling on a timer. */
async function loadIm(url: string, wire: Wire, stcp = false): Promise<LoadResult> {
  const login = async (name: string) =>
    (await wire.post(url, undefined, [{ tid: "1", primitive: { kind: "login", name } }]))
      .sessionId!;
  const pairs: Pair[] = [];
  for (let i = 0; i < PAIRS; i++) {
    const receiver = await login(`r${i}`);
    const agreed = await wire.post(url, receiver, [{
      tid: "2",
      primitive: { kind: "capability", stcp },
    }]);
    const wake = stcp ? await helo(agreed.tcpPort!, receiver) : undefined;
    pairs.push({ sender: await login(`s${i}`), receiver, to: `r${i}`, wake });
  }

  // Untimed first, as the echo has a warm-up round: V8 optimizes the server's many hot functions
  // only after some ten thousand requests.
  await exchange(url, wire, pairs, Math.ceil(WARMUP / PAIRS));
  console.log(READY);
  const requestsBefore = requests;
  const start = performance.now();
  const latencies = await exchange(url, wire, pairs, MESSAGES);
  const seconds = (performance.now() - start) / 1000;
  const perMessage = (requests - requestsBefore) / (PAIRS * MESSAGES);
  console.log(DONE);
  for (const pair of pairs) pair.wake?.close();
  // The next round logs in afresh: these sessions must not linger beside its own.
  const logout: Outgoing = { tid: "9", primitive: { kind: "logout" } };
  await Promise.all(
    pairs.flatMap((p) => [p.sender, p.receiver]).map((id) => wire.post(url, id, [logout])),
  );
  return {
    rate: (PAIRS * MESSAGES) / seconds,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    perMessage,
  };
}

interface Pair {
  sender: string;
  receiver: string;
  to: string;
  /** The receiver's STCP connection, when it is woken rather than polling on a timer. */
  wake?: StcpWake;
}

/** A receiver's STCP connection: `woken` resolves once a WVCI has come since it was last
 * called. */
interface StcpWake {
  woken(): Promise<void>;
  close(): void;
}

/** Connects to the agreed TCPPort and says HELO; resolves once answered OK. */
async function helo(port: number, session: string): Promise<StcpWake> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(new TextEncoder().encode(`HELO ${session}\r\n`));
  let told = false;
  let notify: (() => void) | undefined;
  let answered = () => {};
  const ok = new Promise<void>((resolve) => answered = resolve);
  (async () => {
    const buffer = new Uint8Array(1024);
    for (;;) {
      const n = await conn.read(buffer).catch(() => null);
      if (n === null) return;
      const text = new TextDecoder().decode(buffer.subarray(0, n));
      if (text.includes("OK")) answered();
      if (text.includes("WVCI")) {
        told = true;
        notify?.();
      }
    }
  })();
  await ok;
  return {
    async woken() {
      while (!told) await new Promise<void>((resolve) => notify = resolve);
      told = false;
    },
    close: () => conn.close(),
  };
}

/** Each sender sends `messages` messages to its receiver, which polls them in; resolves when the
 * last acknowledgement is answered, with each message's send-to-receipt latency, ms. */
async function exchange(
  url: string,
  wire: Wire,
  pairs: Pair[],
  messages: number,
): Promise<number[]> {
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  await Promise.all(pairs.flatMap(({ sender, receiver, to, wake }, p) => [
    (async () => {
      for (let n = 0; n < messages; n++) {
        sentAt.set(`${p}:${n}`, performance.now());
        const answer = await wire.post(url, sender, [{
          tid: `m${n}`,
          primitive: { kind: "send", to, n },
        }]);
        if (answer.code !== 200) throw new Error(`send failed: ${JSON.stringify(answer)}`);
      }
    })(),
    (async () => {
      let acks: Outgoing[] = [];
      let more = false;
      for (let received = 0; received < messages;) {
        // Woken by STCP: a poll only when told, or while the last answer said Poll T.
        if (wake && !more) await wake.woken();
        const polledAt = performance.now();
        const poll: Outgoing = { tid: "", primitive: { kind: "poll" } };
        const answer = await wire.post(url, receiver, [...acks, poll]);
        acks = [];
        for (const { tid, messageId, n } of answer.messages) {
          latencies.push(performance.now() - sentAt.get(`${p}:${n}`)!);
          acks.push({ mode: "Response", tid, primitive: { kind: "delivered", messageId } });
          received++;
        }
        more = answer.poll;
        // Unless more is said to be waiting, the next poll comes a polling interval later.
        const wait = POLL_INTERVAL_MS - (performance.now() - polledAt);
        if (!wake && wait > 0 && !more) await new Promise((r) => setTimeout(r, wait));
      }
      if (acks.length > 0) await wire.post(url, receiver, acks);
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
  kind: ClientKind,
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

/** One IM run: the clients' result, and the server's commits and CPU over its timed part. */
interface ImRun {
  im: LoadResult;
  commits: number;
  writes: number;
  cpuPerMessage: string;
  threads: string;
}

/** What the clients of a run are: IM in XML, IM in WBXML, IM with receivers woken by STCP, or
 * the echo's. */
type ClientKind = "im" | "im-wbxml" | "im-stcp" | "echo";

async function measureIm(
  server: ImpsServer,
  kind: Exclude<ClientKind, "echo">,
  url: string,
): Promise<ImRun> {
  let before = { ...server.context.store.commits.stats };
  let after = before;
  let cpuStart: number | undefined, cpuIm: number | undefined;
  let threadsStart = new Map<string, number>(), threadsIm = threadsStart;
  const im = await runClients(kind, url, {
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
  return {
    im,
    commits: after.commits - before.commits,
    writes: after.writes - before.writes,
    cpuPerMessage: cpuPer(cpuStart, cpuIm, PAIRS * MESSAGES),
    threads: threadBreakdown(threadsStart, threadsIm, PAIRS * MESSAGES),
  };
}

const describeIm = (run: ImRun) =>
  `${run.im.rate.toFixed(0)} messages/s (p50 ${run.im.p50!.toFixed(1)} ms, p99 ` +
  `${run.im.p99!.toFixed(1)} ms, ${run.im.perMessage!.toFixed(2)} HTTP requests per message, ` +
  `${run.commits} commits carrying ${run.writes} writes)`;

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
    // Only --stcp receivers agree it; the polled ones are served as without it.
    ...(STCP
      ? {
        IMPS_CIR_TCP_PORT: "0",
        IMPS_CIR_TCP_PER_IP: String(PAIRS + 10),
        IMPS_CIR_MIN_GAP_MS: String(WAKE_GAP_MS),
      }
      : {}),
  });
  const core = await loadCore(config.core);
  const server = await createServer(config, {
    parseXml: core.parseXml,
    parseWbxml: core.parseWbxml,
    sweepIntervalMs: 0,
  });
  const http = serveForBench(config, server);
  const imUrl = `http://127.0.0.1:${http.addr.port}/csp`;
  const wbxml = Deno.args.includes("--wbxml");
  const echo = wbxml ? undefined : await startEchoServer();
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
    const setup = `${PAIRS} pairs x ${MESSAGES} messages, delivered by polling (MultiTrans ` +
      `${MULTI_TRANS})` +
      (Deno.args.includes("--pin") ? ", server on CPU 0, clients on CPU 1" : "") +
      (memory ? ", in-memory KV" : "");
    if (wbxml) await compareWbxml(server, imUrl, setup);
    else await compareEcho(server, imUrl, echo!, setup);
  } finally {
    await http.shutdown();
    await echo?.stop();
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
}

/** IM against the echo of the same bodies, in turns. */
async function compareEcho(
  server: ImpsServer,
  imUrl: string,
  echo: { url: string; pid: number },
  setup: string,
): Promise<void> {
  const rounds: Round[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const run = await measureIm(server, "im", imUrl);
    const stcp = STCP ? await measureIm(server, "im-stcp", imUrl) : undefined;
    let cpuEchoStart: number | undefined, cpuEcho: number | undefined;
    const echoed = await runClients("echo", echo.url, {
      start: () => cpuEchoStart = cpuSeconds(echo.pid),
      end: () => cpuEcho = cpuSeconds(echo.pid),
    });
    rounds.push({
      ...run,
      stcp,
      echo: echoed.rate,
      ratio: run.im.rate / echoed.rate,
      cpuPerEcho: cpuPer(cpuEchoStart, cpuEcho, ECHO_PASSES * PAIRS * MESSAGES),
    });
  }
  console.log(`${setup}; ${ROUNDS} rounds, each IM then echo`);
  for (const [i, r] of rounds.entries()) {
    console.log(
      `round ${i + 1}: IM ${describeIm(r)}, echo ${r.echo.toFixed(0)} requests/s, ` +
        `ratio ${(100 * r.ratio).toFixed(0)}%`,
    );
    console.log(
      `         server CPU ${r.cpuPerMessage} per message (${r.threads || "no breakdown"}), ` +
        `${r.cpuPerEcho} per echo request`,
    );
    if (r.stcp) {
      console.log(
        `         woken by STCP: ${describeIm(r.stcp)}, server CPU ${r.stcp.cpuPerMessage} ` +
          `per message, ${(100 * r.stcp.im.rate / r.im.rate).toFixed(0)}% of the polled rate`,
      );
    }
  }
  const mid = (pick: (r: Round) => number) => median(rounds.map(pick));
  console.log(
    `median: IM ${mid((r) => r.im.rate).toFixed(0)} messages/s, p50 ` +
      `${mid((r) => r.im.p50!).toFixed(1)} ms, p99 ${mid((r) => r.im.p99!).toFixed(1)} ms; ` +
      `echo ${mid((r) => r.echo).toFixed(0)} requests/s (same bodies, same connections)`,
  );
  console.log(`ratio: ${(100 * mid((r) => r.ratio)).toFixed(0)}% of echo (goal >= 33%)`);
  if (STCP) {
    console.log(
      `woken by STCP: ${mid((r) => r.stcp!.im.rate).toFixed(0)} messages/s, ` +
        `${mid((r) => r.stcp!.im.perMessage!).toFixed(2)} HTTP requests per message against ` +
        `${mid((r) => r.im.perMessage!).toFixed(2)} polled every ${POLL_INTERVAL_MS} ms; ` +
        `${(100 * mid((r) => r.stcp!.im.rate / r.im.rate)).toFixed(0)}% of the polled rate`,
    );
  }
}

/** The IM run in WBXML against the same in XML, in turns (the order alternating by round). */
async function compareWbxml(server: ImpsServer, imUrl: string, setup: string): Promise<void> {
  const rounds: { xml: ImRun; wbxml: ImRun; ratio: number }[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    let xml: ImRun, wbxml: ImRun;
    if (r % 2 === 0) {
      xml = await measureIm(server, "im", imUrl);
      wbxml = await measureIm(server, "im-wbxml", imUrl);
    } else {
      wbxml = await measureIm(server, "im-wbxml", imUrl);
      xml = await measureIm(server, "im", imUrl);
    }
    rounds.push({ xml, wbxml, ratio: wbxml.im.rate / xml.im.rate });
  }
  console.log(`${setup}; ${ROUNDS} rounds, each IM in XML and in WBXML (order alternating)`);
  for (const [i, r] of rounds.entries()) {
    console.log(`round ${i + 1}: XML ${describeIm(r.xml)}`);
    console.log(`         WBXML ${describeIm(r.wbxml)}, ratio ${(100 * r.ratio).toFixed(0)}%`);
    console.log(
      `         server CPU per message: XML ${r.xml.cpuPerMessage}, WBXML ${r.wbxml.cpuPerMessage}`,
    );
  }
  const mid = (pick: (r: (typeof rounds)[number]) => number) => median(rounds.map(pick));
  console.log(
    `median: XML ${mid((r) => r.xml.im.rate).toFixed(0)} messages/s, WBXML ` +
      `${mid((r) => r.wbxml.im.rate).toFixed(0)} messages/s`,
  );
  console.log(`ratio: WBXML ${(100 * mid((r) => r.ratio)).toFixed(0)}% of XML (goal >= 90%)`);
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
  const result = kind === "echo"
    ? await loadEcho(url)
    : await loadIm(url, kind === "im-wbxml" ? wbxmlWire : xmlWire, kind === "im-stcp");
  console.log(JSON.stringify(result));
}
