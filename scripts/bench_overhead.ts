/**
 * `deno run -A --v8-flags=--expose-gc scripts/bench_overhead.ts [--rounds 200] [--steps 10]
 * [--pairs 50] [--warmup 20000] [--memory] [--http [--direct]] > /dev/null`: what the
 * observability costs in server CPU per instant message: metrics kept, tracing off (its hooks in
 * place), logs at `info` with an access line per request, and the rate limits, against the same
 * build with all of them off. The access lines go to stdout as `main.ts` writes them (through
 * the console, in batches); the figures to stderr.
 *
 * Made to resolve a few per cent on a busy shared machine, where whole runs of `bench_im.ts`
 * swing by more than that and two processes of one build can differ by 10% for their whole
 * life. One process holds three servers of this build, each on a KV file of its own
 * (`--memory`: in memory), each driven by `--pairs` senders that send one message per step to
 * their own receivers, which poll it in and acknowledge it with their next poll (two requests a
 * message, whatever the speed): by default in this process, through `app.fetch` (with a client
 * address, as `Deno.serve` calls it, without the network); with `--http`, as bench_im serves
 * them (the guarded listener; `--direct`: Deno.serve alone), the clients in a child process
 * told which server to step.
 *
 * In each round the servers take three parts, at random: `on` as in production; `off` and
 * `off2` without the access line and request count (`observeRequests: false`), with no-op
 * metrics and rate limits that grant everything (KV commit times are counted by all three).
 * After a warm-up (`--warmup` messages each), each round runs `--steps` steps of each server,
 * one server at a time, in orders that go through all six permutations, so that the machine's
 * other load and any drift weigh on all three alike. A step's cost is the process's CPU time over
 * it and a young-generation collection at its end (so that each server pays for its own
 * garbage): of all its threads (SQLite's and V8's helpers too), and of its JS thread alone
 * (Linux), which bounds the throughput. In-process it includes the clients' own work (building
 * XML, reading answers with patterns: a few µs a message), the same for all three.
 *
 * Per round: the overhead `on / mean(off, off2)`, and the A/A control `off2 / off` (identical
 * parts: what the method gives for no difference). Prints, for both clocks, the medians of both
 * with their quartiles, extremes, the 95% interval of the median (bootstrap) and the difference
 * in µs per message.
 */
import process from "node:process";
import { loadConfig } from "../src/config.ts";
import { loadCore } from "../src/core/mod.ts";
import { log } from "../src/observe/log.ts";
import { Metrics } from "../src/observe/metrics.ts";
import { createServer, type ImpsServer } from "../src/server.ts";
import type { RateLimits } from "../src/session/rates.ts";
import { observeRequests } from "../src/transport/observe_http.ts";
import { hashPassword, type PasswordHash } from "../src/util/crypto.ts";
import { option, readLines, serveForBench } from "./bench_support.ts";

const ROUNDS = option("rounds", 200);
const PAIRS = option("pairs", 50);
const STEPS = option("steps", 10);
const WARMUP = option("warmup", 20_000);
const DOMAIN = "bench.test";

const ARMS = ["off", "off2", "on"] as const;
type Arm = (typeof ARMS)[number];

/** All orders of the three: the rounds go through them in turn. */
const ORDERS: Arm[][] = [
  ["off", "off2", "on"],
  ["on", "off", "off2"],
  ["off2", "on", "off"],
  ["off", "on", "off2"],
  ["off2", "off", "on"],
  ["on", "off2", "off"],
];

const gc = (globalThis as { gc?: (options?: { type: "minor" }) => void }).gc;

const median = (values: number[]) => quantile(values, 0.5);

/** The `q` quantile, interpolated between the two nearest values. */
function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const low = Math.floor(at);
  return sorted[low] + (sorted[Math.min(low + 1, sorted.length - 1)] - sorted[low]) * (at - low);
}

const percent = (ratio: number) => `${ratio >= 1 ? "+" : ""}${(100 * (ratio - 1)).toFixed(1)}%`;

/** Median, quartiles and extremes of per-round ratios, as per cent above 1. */
function spread(ratios: number[]): string {
  return `median ${percent(median(ratios))} (quartiles ${percent(quantile(ratios, 0.25))} to ` +
    `${percent(quantile(ratios, 0.75))}; rounds from ${percent(Math.min(...ratios))} to ` +
    `${percent(Math.max(...ratios))})`;
}

/** One server, a step of its clients' work, and its part in the round: observed or not. */
interface Served {
  step(): Promise<void>;
  observe(on: boolean): void;
  close(): Promise<void>;
}

/** What a server does where observability is off: every update of every metric is a no-op
 * (what is served stays), every rate-limit charge passes. */
function unobserved(): { metrics: Metrics; rates: RateLimits } {
  const metrics = new Metrics();
  const fields = metrics as unknown as Record<string, unknown>;
  const serving = new Set(["constructor", "text", "json", "contentType"]);
  for (const name of Object.getOwnPropertyNames(Metrics.prototype)) {
    if (!serving.has(name)) fields[name] = () => {};
  }
  for (const name of Object.keys(fields)) {
    const field = fields[name] as { inc?: unknown };
    if (typeof field?.inc === "function") fields[name] = { inc() {} };
  }
  return { metrics, rates: { take: () => 0 } as unknown as RateLimits };
}

/**
 * A server, its users added, serving through `fetch`, which `observe` points at its app with
 * or without the request wrapper, and whose metrics and rate limits it swaps for the real ones
 * or for `unobserved` ones. (KV commit times are counted either way: a closure holds the
 * metrics.)
 */
async function build(
  name: string,
  dir: string,
  password: PasswordHash,
): Promise<{ server: ImpsServer; fetch: Fetch; observe(on: boolean): void }> {
  const config = loadConfig({
    IMPS_DOMAIN: DOMAIN,
    IMPS_DATA: Deno.args.includes("--memory") ? ":memory:" : `${dir}/${name}.kv`,
  });
  const core = await loadCore(config.core);
  const server = await createServer(config, {
    parseXml: core.parseXml,
    parseWbxml: core.parseWbxml,
    sweepIntervalMs: 0,
    observeRequests: false,
  });
  for (let i = 0; i < PAIRS; i++) {
    for (const name of [`s${i}`, `r${i}`]) {
      await server.context.users.create({
        id: `wv:${name}@${DOMAIN}`,
        password,
        createdAt: Date.now(),
      });
    }
  }
  const { context } = server;
  const on = { metrics: context.metrics, rates: context.rates };
  const off = unobserved();
  const plain = server.app.fetch;
  const observed = observeRequests(plain, on.metrics);
  let current: Fetch = observed;
  return {
    server,
    fetch: (request, info) => current(request, info),
    observe(yes) {
      current = yes ? observed : plain;
      context.metrics = yes ? on.metrics : off.metrics;
      context.rates = yes ? on.rates : off.rates;
    },
  };
}

/** Three servers driven in this process, each through its `fetch`. */
async function inProcess(dir: string, password: PasswordHash): Promise<Served[]> {
  const served: Served[] = [];
  for (let i = 0; i < 3; i++) {
    const { server, fetch, observe } = await build(`server${i}`, dir, password);
    const party = await logIn(new Client(fetch));
    served.push({ step: () => step(party), observe, close: () => server.close() });
  }
  return served;
}

/** Three servers served over HTTP (as bench_im serves them: `--direct` for Deno.serve alone),
 * their clients in a child process (this script with `--clients`), told which to step. */
async function overHttp(dir: string, password: PasswordHash): Promise<Served[]> {
  const built = [];
  for (let i = 0; i < 3; i++) built.push(await build(`server${i}`, dir, password));
  const listeners = built.map(({ server, fetch }) => {
    server.app.fetch = fetch; // what serveForBench serves
    return serveForBench(loadConfig({ IMPS_DOMAIN: DOMAIN }), server);
  });
  const urls = listeners.map((l) => `http://127.0.0.1:${l.addr.port}/csp`);
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(import.meta.url).pathname, "--clients", ...urls, ...Deno.args],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const commands = child.stdin.getWriter();
  const lines = readLines(child.stdout)[Symbol.asyncIterator]();
  const answer = async (expected: string) => {
    const { value } = await lines.next();
    if (value !== expected) throw new Error(`the clients said ${value} (expected ${expected})`);
  };
  await answer("ready");
  let closed = false;
  return built.map(({ server, observe }, i) => ({
    observe,
    async step() {
      await commands.write(new TextEncoder().encode(`${i}\n`));
      await answer("ok");
    },
    async close() {
      if (!closed) {
        closed = true;
        await commands.close();
        await child.status;
      }
      await listeners[i].shutdown();
      await server.close();
    },
  }));
}

/** The clients' process of `--http`: logs in to each server, then steps the one named by each
 * line on stdin (its index), answering `ok`. */
async function clients(urls: string[]): Promise<void> {
  const parties = [];
  for (const url of urls) parties.push(await logIn(new Client((request) => fetch(request), url)));
  console.log("ready");
  for await (const line of readLines(Deno.stdin.readable)) {
    await step(parties[Number(line)]);
    console.log("ok");
  }
}

/** A server's clients: `PAIRS` senders and receivers, logged in. */
interface Party {
  client: Client;
  sessions: { sender: string; receiver: string; to: string }[];
  /** Each receiver's acknowledgements for its next poll. */
  acks: Transaction[][];
  /** Steps so far. */
  sent: number;
}

async function logIn(client: Client): Promise<Party> {
  const sessions = [];
  for (let i = 0; i < PAIRS; i++) {
    const receiver = await client.login(`r${i}`);
    await client.post(receiver, [{ tid: "2", body: CAPABILITY }]);
    sessions.push({ sender: await client.login(`s${i}`), receiver, to: `r${i}` });
  }
  return { client, sessions, acks: sessions.map(() => []), sent: 0 };
}

/** What one step cost, µs: the process's CPU time (all threads), and its JS thread's. */
interface Cost {
  process: number;
  js: number;
}

/** CPU time of this (the JS) thread so far, µs (Linux: ns in schedstat; else undefined). */
function jsThreadCpu(): number | undefined {
  try {
    return Number(Deno.readTextFileSync("/proc/thread-self/schedstat").split(" ", 1)[0]) / 1000;
  } catch {
    return undefined;
  }
}

/** What one step of a server costs, its garbage collected. */
async function timedStep(served: Served): Promise<Cost> {
  const js = jsThreadCpu();
  const before = process.cpuUsage();
  await served.step();
  gc!({ type: "minor" });
  const after = process.cpuUsage();
  return {
    process: after.user + after.system - before.user - before.system,
    js: js === undefined ? NaN : jsThreadCpu()! - js,
  };
}

/** The median's 95% interval by bootstrap: rounds drawn again at random, 2,000 times. */
function interval(values: number[]): [number, number] {
  const medians = Array.from(
    { length: 2000 },
    () => median(values.map(() => values[Math.floor(Math.random() * values.length)])),
  );
  return [quantile(medians, 0.025), quantile(medians, 0.975)];
}

/** One measure's figures: per server, the overhead and the control, in per cent and µs. */
function report(title: string, rounds: Record<Arm, number>[]): void {
  const pick = (f: (r: Record<Arm, number>) => number) => rounds.map(f);
  const overhead = pick((r) => r.on / ((r.off + r.off2) / 2));
  const control = pick((r) => r.off2 / r.off);
  const us = (values: number[]) =>
    `${median(values).toFixed(1)} µs (quartiles ${quantile(values, 0.25).toFixed(1)} to ` +
    `${quantile(values, 0.75).toFixed(1)})`;
  const within = (values: number[]) => {
    const [low, high] = interval(values);
    return `95% interval of the median ${percent(low)} to ${percent(high)}`;
  };
  console.error(
    `${title}, median (quartiles): ` +
      ARMS.map((arm) => {
        const values = pick((r) => r[arm]);
        return `${arm} ${median(values).toFixed(1)} µs (${quantile(values, 0.25).toFixed(1)}–` +
          `${quantile(values, 0.75).toFixed(1)})`;
      }).join(", "),
  );
  console.error(
    `  overhead (on / mean of off, off2): ${spread(overhead)}; ${within(overhead)}; ` +
      us(pick((r) => r.on - (r.off + r.off2) / 2)),
  );
  console.error(
    `  A/A control (off2 / off): ${spread(control)}; ${within(control)}; ` +
      us(pick((r) => r.off2 - r.off)),
  );
}

async function main(): Promise<void> {
  if (!gc) {
    console.error("usage: deno run -A --v8-flags=--expose-gc scripts/bench_overhead.ts …");
    Deno.exit(2);
  }
  const dir = await Deno.makeTempDir();
  // Only the `on` server writes access lines; the others write none at any level.
  // As main.ts logs with tracing off; only the `on` part writes access lines.
  log.configure({ level: "info", batched: true, accessTo: Deno.stdout });
  let servers: Served[] = [];
  try {
    const password = await hashPassword("secret");
    servers = await (Deno.args.includes("--http") ? overHttp : inProcess)(dir, password);
    for (const served of servers) {
      for (let i = 0; i < WARMUP / PAIRS; i++) await served.step();
    }
    const rounds: Record<keyof Cost, Record<Arm, number>[]> = { process: [], js: [] };
    for (let round = 0; round < ROUNDS; round++) {
      // The servers take the parts at random, round by round: what differs between them (where
      // their data and code landed) and what a part leaves to the next round weigh on all alike.
      const shuffled = [...servers];
      for (let i = shuffled.length - 1; i > 0; i--) {
        const j = Math.floor(Math.random() * (i + 1));
        [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
      }
      const part = {} as Record<Arm, Served>;
      ARMS.forEach((arm, i) => {
        part[arm] = shuffled[i];
        part[arm].observe(arm === "on");
      });
      const got: Record<keyof Cost, Record<Arm, number>> = {
        process: { off: 0, off2: 0, on: 0 },
        js: { off: 0, off2: 0, on: 0 },
      };
      for (let i = 0; i < STEPS; i++) {
        for (const arm of ORDERS[(round * STEPS + i) % ORDERS.length]) {
          const cost = await timedStep(part[arm]);
          got.process[arm] += cost.process / (PAIRS * STEPS);
          got.js[arm] += cost.js / (PAIRS * STEPS);
        }
      }
      rounds.process.push(got.process);
      rounds.js.push(got.js);
    }
    console.error(
      `${ROUNDS} rounds of ${STEPS} steps of ${PAIRS} messages per server, the servers taking ` +
        `turns step by step`,
    );
    report("process CPU per message", rounds.process);
    if (!rounds.js.some((r) => isNaN(r.on))) report("JS thread CPU per message", rounds.js);
  } finally {
    for (const served of servers) await served.close();
    log.flush();
    await Deno.remove(dir, { recursive: true });
  }
}

const NS = 'xmlns="http://www.openmobilealliance.org/DTD/WV-CSP1.2"';
const TRC = 'xmlns="http://www.openmobilealliance.org/DTD/WV-TRC1.2"';
const TEXT = "Benchmark message of a typical chat length, about eighty bytes of text.";
const CAPABILITY = "<ClientCapability-Request><CapabilityList><MultiTrans>10</MultiTrans>" +
  "</CapabilityList></ClientCapability-Request>";
const POLL = "<Polling-Request/>";

interface Transaction {
  mode?: "Request" | "Response";
  tid: string;
  body: string;
}

type Fetch = (request: Request, info: unknown) => Response | Promise<Response>;

/** The clients' side, speaking XML to the app as HTTP clients would, read with patterns. */
class Client {
  readonly #info = { remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 40000 } };
  constructor(
    private readonly fetch: Fetch,
    private readonly url = "http://127.0.0.1/csp",
    private readonly domain = DOMAIN,
  ) {}

  async post(sessionId: string | undefined, transactions: Transaction[]): Promise<string> {
    const descriptor = sessionId
      ? `<SessionType>Inband</SessionType><SessionID>${sessionId}</SessionID>`
      : "<SessionType>Outband</SessionType>";
    const body = `<WV-CSP-Message ${NS}><Session><SessionDescriptor>${descriptor}` +
      `</SessionDescriptor>${
        transactions.map((t) =>
          `<Transaction><TransactionDescriptor><TransactionMode>${t.mode ?? "Request"}` +
          `</TransactionMode><TransactionID>${t.tid}</TransactionID></TransactionDescriptor>` +
          `<TransactionContent ${TRC}>${t.body}</TransactionContent></Transaction>`
        ).join("")
      }</Session></WV-CSP-Message>`;
    const request = new Request(this.url, {
      method: "POST",
      body,
      // As an HTTP client sends it: the body's length declared.
      headers: {
        "content-type": "application/vnd.wv.csp.xml",
        "content-length": String(body.length), // ASCII
      },
    });
    return await (await this.fetch(request, this.#info)).text();
  }

  async login(name: string): Promise<string> {
    const answer = await this.post(undefined, [{
      tid: "1",
      body: `<Login-Request><UserID>wv:${name}@${this.domain}</UserID><ClientID><URL>http://b` +
        `</URL></ClientID><Password>secret</Password><TimeToLive>3600</TimeToLive>` +
        `</Login-Request>`,
    }]);
    const id = answer.match(/<SessionID>([0-9a-f]+)<\/SessionID>/)?.[1];
    if (!id) throw new Error(`login failed: ${answer}`);
    return id;
  }

  send(sessionId: string, to: string, n: number): Promise<string> {
    return this.post(sessionId, [{
      tid: `m${n}`,
      body: `<SendMessage-Request><DeliveryReport>F</DeliveryReport><MessageInfo><Recipient>` +
        `<User><UserID>wv:${to}@${this.domain}</UserID></User></Recipient></MessageInfo>` +
        `<ContentData>${n} ${TEXT}</ContentData></SendMessage-Request>`,
    }]);
  }
}

/**
 * One step of a server's clients, so that the work per message does not depend on the speed (as
 * polling on a timer would: a slower server gets more empty polls per message): every sender
 * sends a message to its receiver, all at once, then every receiver polls it in, acknowledging
 * the one of the step before.
 */
async function step(party: Party): Promise<void> {
  const { client, sessions, acks } = party;
  const n = party.sent++;
  await Promise.all(sessions.map(async ({ sender, to }) => {
    const answer = await client.send(sender, to, n);
    if (!answer.includes("<Code>200</Code>")) throw new Error(`send failed: ${answer}`);
  }));
  await Promise.all(sessions.map(async ({ receiver }, i) => {
    const answer = await client.post(receiver, [...acks[i], { tid: "", body: POLL }]);
    acks[i] = [];
    for (const tx of answer.split("<Transaction>").slice(1)) {
      if (!tx.includes("<ContentData>")) continue;
      acks[i].push({
        mode: "Response",
        tid: tx.match(/<TransactionID>([0-9a-f]+)<\/TransactionID>/)![1],
        body: `<MessageDelivered><MessageID>${
          tx.match(/<MessageID>([0-9a-f]+)<\/MessageID>/)![1]
        }</MessageID></MessageDelivered>`,
      });
    }
    if (acks[i].length !== 1) throw new Error(`poll ${n} brought ${acks[i].length} messages`);
  }));
}

const clientsAt = Deno.args.indexOf("--clients");
if (clientsAt === -1) await main();
else await clients(Deno.args.slice(clientsAt + 1, clientsAt + 1 + ARMS.length));
