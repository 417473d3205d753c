/**
 * `deno run -A scripts/bench_cir_shapes.ts [--runs 3] [--probes 100] [--look-ms 50]`: the CIR
 * wake-up of a phone across instances, by each way an instance can learn of it. Two instances
 * share one KV file in shared mode, each with its own STCP listener; the receiver's STCP
 * connection is on instance 1. A message is sent through instance 1 (the baseline: the
 * committing instance holds the channel) or through instance 2 (its wake-up passes through
 * instance 1's inbox), `probes` times each, in turns; measured is the time from the send's
 * request to the `WVCI` line. The receiver polls and acknowledges each message through
 * instance 2. Three setups, `runs` times each in turns, medians of the runs' p50 and p99:
 *
 * - two processes, `IMPS_SHARED_WAKE=look` (every `look-ms`): what a KV file runs;
 * - two instances in this process, `look`: the baseline of the next;
 * - two instances in this process, `watch` (the inbox's bell watched, looks every 1 s as the
 *   safety net): on a KV file watches reach the handles of one process only, so this is where
 *   a watch can be measured here; on KV Connect and Deno Deploy's KV they cross instances.
 */
import { runAdmin } from "../src/admin.ts";
import { loadConfig } from "../src/config.ts";
import { loadCore } from "../src/core/mod.ts";
import { log } from "../src/observe/log.ts";
import { createServer, type ImpsServer } from "../src/server.ts";
import { StcpClient } from "../test/support/cir.ts";
import { spawnServer } from "../test/support/process.ts";
import { option, postCsp } from "./bench_support.ts";

const RUNS = option("runs", 3);
const PROBES = option("probes", 100);
const LOOK_MS = option("look-ms", 50);
const DOMAIN = "bench.test";
const PASSWORD = "secret";

/** A bare CSP 1.2 client; `at` picks the instance each request goes to. */
function client(name: string) {
  let session: string | undefined;
  const post = (url: string, body: string, tid = "t") => postCsp(url, session, body, tid);
  return {
    get session() {
      return session!;
    },
    async login(url: string) {
      const answer = await post(
        url,
        `<Login-Request><UserID>wv:${name}@${DOMAIN}</UserID><ClientID><URL>http://p</URL>` +
          `</ClientID><Password>${PASSWORD}</Password><TimeToLive>3600</TimeToLive>` +
          `<SessionCookie>c</SessionCookie></Login-Request>`,
      );
      session = answer.match(/<SessionID>([0-9a-f]+)<\/SessionID>/)![1];
    },
    /** Agrees STCP; the port of the instance at `url`. */
    async agreeStcp(url: string): Promise<number> {
      const answer = await post(
        url,
        `<ClientCapability-Request><CapabilityList><ClientType>MOBILE_PHONE</ClientType>` +
          `<SupportedBearer>HTTP</SupportedBearer><SupportedCIRMethod>STCP</SupportedCIRMethod>` +
          `</CapabilityList></ClientCapability-Request>`,
      );
      return Number(answer.match(/<TCPPort>(\d+)<\/TCPPort>/)![1]);
    },
    send: (url: string, to: string, n: number) =>
      post(
        url,
        `<SendMessage-Request><DeliveryReport>F</DeliveryReport><MessageInfo><Recipient><User>` +
          `<UserID>wv:${to}@${DOMAIN}</UserID></User></Recipient></MessageInfo><ContentData>` +
          `probe ${n}</ContentData></SendMessage-Request>`,
      ),
    /** Polls until a message is handed out, and acknowledges it. */
    async receive(url: string): Promise<void> {
      for (;;) {
        const id = (await post(url, "<Polling-Request/>", "")).match(
          /<MessageID>([0-9a-f]+)<\/MessageID>/,
        )?.[1];
        if (id) {
          await post(url, `<MessageDelivered><MessageID>${id}</MessageID></MessageDelivered>`);
          return;
        }
      }
    },
  };
}

/** Two instances on one store: their base URLs. */
interface Pair {
  urls: [string, string];
  stop(): Promise<void>;
}

async function twoProcesses(env: Record<string, string>): Promise<Pair> {
  const [one, two] = await Promise.all([spawnServer(env), spawnServer(env)]);
  return {
    urls: [one.url, two.url],
    stop: async () => void await Promise.all([one.stop(), two.stop()]),
  };
}

async function oneProcess(env: Record<string, string>): Promise<Pair> {
  const config = loadConfig(env);
  log.configure({ level: config.logLevel });
  const core = await loadCore(config.core);
  const servers: { server: ImpsServer; http: Deno.HttpServer<Deno.NetAddr>; url: string }[] = [];
  for (let i = 0; i < 2; i++) {
    const server = await createServer(config, { parseXml: core.parseXml, sweepIntervalMs: 0 });
    const http = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, server.app.fetch);
    servers.push({ server, http, url: `http://127.0.0.1:${http.addr.port}` });
  }
  return {
    urls: [servers[0].url, servers[1].url],
    async stop() {
      for (const { server, http } of servers) {
        await http.shutdown();
        await server.close();
      }
    },
  };
}

const SETUPS = [
  { name: "two processes, look", wake: "look", start: twoProcesses },
  { name: "one process, look", wake: "look", start: oneProcess },
  { name: "one process, watch", wake: "watch", start: oneProcess },
] as const;

type Times = Record<"same" | "across", number[]>;

/** One run of a setup: the wake-up times of messages sent through each instance. */
async function measure(setup: (typeof SETUPS)[number]): Promise<Times> {
  const dir = await Deno.makeTempDir();
  const env = {
    IMPS_DATA: `${dir}/imps.kv`,
    IMPS_DOMAIN: DOMAIN,
    IMPS_SECRET: "bench-secret-0123456789",
    IMPS_LOG_LEVEL: "warn",
    IMPS_SHARED: "true",
    IMPS_SHARED_WAKE: setup.wake,
    // With watch, the looks are its safety net at their default pace.
    ...(setup.wake === "look" ? { IMPS_SHARED_LOOK_MS: String(LOOK_MS) } : {}),
    IMPS_CIR_TCP_PORT: "0",
    IMPS_CIR_TCP_HOST: "127.0.0.1",
    IMPS_CIR_MIN_GAP_MS: "0",
  };
  const admin = { password: () => Promise.resolve(PASSWORD), warn() {} };
  for (const name of ["s", "r"]) await runAdmin(["user", "add", name], env, admin);
  const pair = await setup.start(env);
  const [one, two] = pair.urls;
  let cir: StcpClient | undefined;
  try {
    const sender = client("s");
    const receiver = client("r");
    await sender.login(two);
    await receiver.login(one);
    cir = await StcpClient.helo(await receiver.agreeStcp(one), receiver.session);
    const times: Times = { same: [], across: [] };
    for (let n = 0; n < 2 * PROBES; n++) {
      const across = n % 2 === 1;
      const sentAt = performance.now();
      await sender.send(across ? two : one, "r", n);
      await cir.line(5_000);
      times[across ? "across" : "same"].push(performance.now() - sentAt);
      await receiver.receive(two);
    }
    return times;
  } finally {
    cir?.close();
    await pair.stop();
    await Deno.remove(dir, { recursive: true });
  }
}

const percentile = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];

async function main() {
  const runs = new Map<string, { same: number[][]; across: number[][] }>(
    SETUPS.map((s) => [s.name, { same: [], across: [] }]),
  );
  for (let run = 0; run < RUNS; run++) {
    for (const setup of SETUPS) {
      const times = await measure(setup);
      const kept = runs.get(setup.name)!;
      for (const way of ["same", "across"] as const) {
        kept[way].push([percentile(times[way], 0.5), percentile(times[way], 0.99)]);
      }
    }
  }
  const median = (xs: number[]) => percentile(xs, 0.5).toFixed(1);
  const describe = (pairs: number[][]) =>
    `p50 ${median(pairs.map((p) => p[0]))} ms, p99 ${median(pairs.map((p) => p[1]))} ms`;
  console.log(
    `STCP wake-up, from sending to the WVCI line, ${PROBES} probes each way, medians of ` +
      `${RUNS} runs (look: IMPS_SHARED_LOOK_MS=${LOOK_MS}):`,
  );
  for (const setup of SETUPS) {
    const kept = runs.get(setup.name)!;
    console.log(`  ${setup.name.padEnd(20)} through the channel's instance ${describe(kept.same)}`);
    console.log(`  ${"".padEnd(20)} through the other instance     ${describe(kept.across)}`);
  }
}

await main();
