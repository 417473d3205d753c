/**
 * `deno run -A scripts/bench_overhead_cpu.ts --base DIR [--observed DIR] [--runs 9] [--pairs 50]
 * [--messages 200] [--warmup 20000]`: what metrics, logs at info (an access line per request, into a file) and the
 * tracing hooks (OTEL_DENO unset) cost in CPU per instant message, without the network and the
 * other processes that make `scripts/bench_overhead.ts` noisy on a shared machine.
 *
 * `--base` is a checkout without them (e.g. `git worktree add --detach ../imps-base <commit>`),
 * `--observed` one with them (this checkout by default). Each
 * run is a fresh process that builds the server of one checkout (file KV in a temp directory) and
 * drives its Hono app in-process, as `Deno.serve` would (`app.fetch` with the client's address):
 * `--pairs` senders each send `--messages` messages to their own receiver, which polls each in
 * and acknowledges it with its next poll (two requests a message, whatever the speed), after
 * `--warmup` messages untimed. The process's CPU time over the
 * timed part, per message, includes the clients' own work (building the XML, reading answers
 * with patterns: a few µs per message), the same for both checkouts. Each run measures the two
 * checkouts at the same time, in two processes, so that the machine's other load weighs on both
 * alike; prints each run, the medians, and the median of each run's pair (observed / base).
 */
import process from "node:process";

const args = [...Deno.args];
function take(name: string, fallback?: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  if (i === -1) return fallback;
  const [, value] = args.splice(i, 2);
  return value;
}

async function compare(): Promise<void> {
  const base = take("base");
  const runs = Number(take("runs", "9"));
  if (!base) {
    console.error("usage: bench_overhead_cpu.ts --base DIR [--runs 9] [--pairs 50] …");
    Deno.exit(2);
  }
  const here = take("observed", new URL("..", import.meta.url).pathname)!;
  const results: Record<"base" | "observed", { cpu: number; rate: number }[]> = {
    base: [],
    observed: [],
  };
  const measureIn = async (root: string) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL(import.meta.url).pathname, "--measure", root, ...args],
      stdout: "piped",
      stderr: "inherit",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    if (!out.success) throw new Error(`the run of ${root} failed:\n${text}`);
    return JSON.parse(text.trim().split("\n").at(-1)!);
  };
  for (let run = 0; run < runs; run++) {
    // Both at once: a shared machine's load and the host's steal then weigh on both alike.
    const [b, o] = await Promise.all([measureIn(base), measureIn(here)]);
    results.base.push(b);
    results.observed.push(o);
    console.log(
      `run ${run + 1}: base ${b.cpu.toFixed(1)} µs CPU per message (${b.rate.toFixed(0)}/s), ` +
        `observed ${o.cpu.toFixed(1)} µs (${o.rate.toFixed(0)}/s): ` +
        `${(100 * (o.cpu / b.cpu - 1)).toFixed(1)}%`,
    );
  }
  const median = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  };
  for (const which of ["base", "observed"] as const) {
    console.log(
      `median ${which.padEnd(8)}: ${median(results[which].map((r) => r.cpu)).toFixed(1)} µs CPU ` +
        `per message, ${median(results[which].map((r) => r.rate)).toFixed(0)} messages/s`,
    );
  }
  const pairs = results.observed.map((o, i) => o.cpu / results.base[i].cpu);
  console.log(
    `overhead: CPU per message ${(100 * (median(pairs) - 1)).toFixed(1)}% higher (median of ` +
      `each run's observed/base; runs from ${(100 * (Math.min(...pairs) - 1)).toFixed(1)}% to ` +
      `${(100 * (Math.max(...pairs) - 1)).toFixed(1)}%)`,
  );
}

/** One run in this process: the server of the checkout at `root`, driven in-process. */
async function measure(root: string): Promise<void> {
  const option = (name: string, fallback: number) => Number(take(name, String(fallback)));
  const pairs = option("pairs", 50);
  const messages = option("messages", 200);
  const warmup = option("warmup", 20_000);
  const src = (path: string) => import(new URL(`src/${path}`, `file://${root}/`).href);
  const dir = await Deno.makeTempDir();
  try {
    const observe = await src("observe/log.ts").catch(() => undefined);
    observe?.log.configure({
      level: "info",
      to: Deno.openSync(`${dir}/imps.log`, { write: true, create: true }),
    });
    const { loadConfig } = await src("config.ts");
    const { loadCore } = await src("core/mod.ts");
    const { createServer } = await src("server.ts");
    const { hashPassword } = await src("util/crypto.ts");
    const domain = "bench.test";
    const config = loadConfig({ IMPS_DOMAIN: domain, IMPS_DATA: `${dir}/imps.kv` });
    const core = await loadCore(config.core);
    const server = await createServer(config, {
      parseXml: core.parseXml,
      parseWbxml: core.parseWbxml,
      sweepIntervalMs: 0,
    });
    const password = await hashPassword("secret");
    for (let i = 0; i < pairs; i++) {
      for (const name of [`s${i}`, `r${i}`]) {
        await server.context.users.create({
          id: `wv:${name}@${domain}`,
          password,
          createdAt: Date.now(),
        });
      }
    }
    const client = new Client(server.app.fetch, domain);
    const sessions = [];
    for (let i = 0; i < pairs; i++) {
      const receiver = await client.login(`r${i}`);
      await client.post(receiver, [{ tid: "2", body: CAPABILITY }]);
      sessions.push({ sender: await client.login(`s${i}`), receiver, to: `r${i}` });
    }
    await exchange(client, sessions, Math.ceil(warmup / pairs));
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    await exchange(client, sessions, messages);
    const seconds = (performance.now() - started) / 1000;
    const cpuAfter = process.cpuUsage();
    await server.close();
    const cpu = (cpuAfter.user + cpuAfter.system - cpuBefore.user - cpuBefore.system) /
      (pairs * messages);
    console.log(JSON.stringify({ cpu, rate: (pairs * messages) / seconds }));
  } finally {
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
  constructor(private readonly fetch: Fetch, private readonly domain: string) {}

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
    const request = new Request("http://127.0.0.1/csp", {
      method: "POST",
      body,
      headers: { "content-type": "application/vnd.wv.csp.xml" },
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
 * In steps, so that the work per message does not depend on the speed (as polling on a timer
 * would: a slower server gets more empty polls per message): every sender sends a message to its
 * receiver, all at once, then every receiver polls it in, acknowledging the previous one.
 */
async function exchange(
  client: Client,
  sessions: { sender: string; receiver: string; to: string }[],
  messages: number,
): Promise<void> {
  const acks: Transaction[][] = sessions.map(() => []);
  for (let n = 0; n < messages; n++) {
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
  await Promise.all(sessions.map(({ receiver }, i) => client.post(receiver, acks[i])));
}

const measureRoot = take("measure");
if (measureRoot) await measure(measureRoot);
else await compare();
