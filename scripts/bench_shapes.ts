/**
 * `deno run -A scripts/bench_shapes.ts [--pairs 20] [--messages 100] [--warmup 4000]
 * [--rounds 3] [--probes 200]`: instant messaging in two shapes, in the same run, in turns:
 * one server process on its KV file (shape 1), and two server processes sharing one KV file in
 * shared mode (IMPS_SHARED=true, shape 2). Both sit behind the same round-robin proxy (with one
 * instance, or two), so the proxy's cost is in both; every client's consecutive requests reach
 * different instances in shape 2.
 *
 * The load is bench_im's clients (`scripts/bench_im.ts --load im`, in a child process): each of
 * `pairs` senders sends `messages` messages to its receiver, which polls them in (every 10 ms, at
 * once while Poll says T) and acknowledges them with its next poll. Printed per round and as
 * medians: delivered messages/s, send-to-receipt latency (p50, p99), the servers' CPU per
 * message (all instances together), and shape 2's rate as a ratio of shape 1's.
 *
 * Then the cross-instance wake-up of a polling client, `probes` times: a message is sent through
 * one instance, and its receiver polls the other (or the same, for the baseline) as fast as it
 * can, directly; printed is the time from the send's answer to the poll that hands it out, p50
 * and p99. Without CIR a polling client learns of a message at its next poll; this is what that
 * poll costs on top once the message is committed by another instance.
 */
import { loadConfig } from "../src/config.ts";
import { createServer } from "../src/server.ts";
import { loadCore } from "../src/core/mod.ts";
import { hashPassword } from "../src/util/crypto.ts";
import { type ServerProcess, spawnServer } from "../test/support/process.ts";
import { roundRobin } from "../test/support/round_robin.ts";
import { option, postCsp } from "./bench_support.ts";

const PAIRS = option("pairs", 20);
const MESSAGES = option("messages", 100);
const WARMUP = option("warmup", 4_000);
const ROUNDS = option("rounds", 3);
const PROBES = option("probes", 200);
/** bench_im's clients' domain and password. */
const DOMAIN = "bench.test";
const PASSWORD = "secret";
const SECRET = "bench-secret-0123456789";

interface LoadResult {
  rate: number;
  p50: number;
  p99: number;
}

interface Shape {
  name: string;
  servers: ServerProcess[];
  url: string;
  close(): Promise<void>;
}

const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const half = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[half] : (sorted[half - 1] + sorted[half]) / 2;
};
const percentile = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];

/** CPU time of a process, seconds (Linux; undefined elsewhere). */
function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}
const cpuOf = (servers: ServerProcess[]) =>
  servers.reduce((sum, s) => sum + (cpuSeconds(s.pid) ?? NaN), 0);

/** A KV file with bench_im's users (s0…, r0…) and the probe's, made by a server in this process. */
async function storeWithUsers(dir: string): Promise<Record<string, string>> {
  const env = { IMPS_DOMAIN: DOMAIN, IMPS_DATA: `${dir}/imps.kv`, IMPS_SECRET: SECRET };
  const config = loadConfig({ ...env, IMPS_SHARED: "true" });
  const core = await loadCore(config.core);
  const server = await createServer(config, { parseXml: core.parseXml, sweepIntervalMs: 0 });
  const password = await hashPassword(PASSWORD);
  const names = Array.from({ length: PAIRS }, (_, i) => [`s${i}`, `r${i}`]).flat();
  for (const name of [...names, "probe-s", "probe-r"]) {
    await server.context.users.create({ id: `wv:${name}@${DOMAIN}`, password, createdAt: 0 });
  }
  await server.close();
  return env;
}

async function startShape(name: string, env: Record<string, string>, count: number) {
  const servers = await Promise.all(
    Array.from({ length: count }, () => spawnServer({ ...env, IMPS_MAX_CONNECTIONS: "0" })),
  );
  const proxy = roundRobin(servers.map((s) => s.url));
  return {
    name,
    servers,
    url: proxy.url,
    async close() {
      await proxy.close();
      await Promise.all(servers.map((s) => s.stop()));
    },
  };
}

/** One run of bench_im's clients against `shape`, with the servers' CPU over its timed part. */
async function measure(shape: Shape): Promise<LoadResult & { cpuUs: number }> {
  const script = new URL("bench_im.ts", import.meta.url).pathname;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      script,
      "--load",
      "im",
      `${shape.url}/csp`,
      "--pairs",
      String(PAIRS),
      "--messages",
      String(MESSAGES),
      "--warmup",
      String(WARMUP),
    ],
    stdout: "piped",
  }).spawn();
  let output = "";
  let cpuStart = NaN, cpuEnd = NaN;
  for await (const text of child.stdout.pipeThrough(new TextDecoderStream())) {
    output += text;
    if (output.startsWith("ready\n")) {
      output = output.slice(6);
      cpuStart = cpuOf(shape.servers);
    }
    if (output.startsWith("done\n")) {
      output = output.slice(5);
      cpuEnd = cpuOf(shape.servers);
    }
  }
  if (!(await child.status).success) throw new Error(`clients failed against ${shape.name}`);
  const result = JSON.parse(output) as LoadResult;
  return { ...result, cpuUs: (cpuEnd - cpuStart) * 1e6 / (PAIRS * MESSAGES) };
}

/** A bare CSP 1.2 client posting to one URL at a time. */
async function probeClient(name: string, url: string) {
  const login = await postCsp(
    url,
    undefined,
    `<Login-Request><UserID>wv:${name}@${DOMAIN}</UserID><ClientID><URL>http://p</URL>` +
      `</ClientID><Password>${PASSWORD}</Password><TimeToLive>3600</TimeToLive></Login-Request>`,
  );
  const session = login.match(/<SessionID>([0-9a-f]+)<\/SessionID>/)![1];
  return {
    send: (target: string, to: string, n: number) =>
      postCsp(
        target,
        session,
        `<SendMessage-Request><DeliveryReport>F</DeliveryReport><MessageInfo><Recipient><User>` +
          `<UserID>wv:${to}@${DOMAIN}</UserID></User></Recipient></MessageInfo><ContentData>` +
          `probe ${n}</ContentData></SendMessage-Request>`,
      ),
    /** Polls `target` until a message is handed out; acknowledges it there. */
    async receive(target: string): Promise<void> {
      for (;;) {
        const answer = await postCsp(target, session, "<Polling-Request/>", "");
        const id = answer.match(/<MessageID>([0-9a-f]+)<\/MessageID>/)?.[1];
        if (id) {
          await postCsp(
            target,
            session,
            `<MessageDelivered><MessageID>${id}</MessageID>` +
              `</MessageDelivered>`,
          );
          return;
        }
      }
    },
  };
}

/** Send through `from`, poll through `to`: ms from the send's answer to the handing out. */
async function wakeUps(from: string, to: string): Promise<number[]> {
  const sender = await probeClient("probe-s", from);
  const receiver = await probeClient("probe-r", to);
  const times = [];
  for (let n = 0; n < PROBES; n++) {
    const polling = receiver.receive(to);
    await sender.send(from, "probe-r", n);
    const sentAt = performance.now();
    await polling;
    times.push(performance.now() - sentAt);
  }
  return times;
}

async function main() {
  const dirs = [await Deno.makeTempDir(), await Deno.makeTempDir()];
  const one = await startShape("1 process", await storeWithUsers(dirs[0]), 1);
  const sharedEnv = { ...await storeWithUsers(dirs[1]), IMPS_SHARED: "true" };
  const two = await startShape("2 instances, shared file", sharedEnv, 2);
  try {
    console.log(
      `${PAIRS} pairs x ${MESSAGES} messages after ${WARMUP} untimed, by polling, through a ` +
        `round-robin proxy; ${ROUNDS} rounds, shapes in turn`,
    );
    const ratios: number[] = [];
    const runs: Record<string, (LoadResult & { cpuUs: number })[]> = { one: [], two: [] };
    const line = (name: string, r: LoadResult & { cpuUs: number }) =>
      `  ${name.padEnd(26)} ${r.rate.toFixed(0).padStart(5)} messages/s, p50 ` +
      `${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, server CPU ${r.cpuUs.toFixed(0)} µs/msg`;
    for (let round = 0; round < ROUNDS; round++) {
      // The order alternates, so that neither shape always runs on a machine warmed by the other.
      const order = round % 2 === 0 ? [one, two] : [two, one];
      const results = new Map<Shape, LoadResult & { cpuUs: number }>();
      for (const shape of order) results.set(shape, await measure(shape));
      runs.one.push(results.get(one)!);
      runs.two.push(results.get(two)!);
      ratios.push(results.get(two)!.rate / results.get(one)!.rate);
      console.log(`round ${round + 1}:`);
      for (const shape of [one, two]) console.log(line(shape.name, results.get(shape)!));
      console.log(`  ratio ${ratios.at(-1)!.toFixed(2)}`);
    }
    const medianOf = (rs: (LoadResult & { cpuUs: number })[]) => ({
      rate: median(rs.map((r) => r.rate)),
      p50: median(rs.map((r) => r.p50)),
      p99: median(rs.map((r) => r.p99)),
      cpuUs: median(rs.map((r) => r.cpuUs)),
    });
    console.log("medians:");
    console.log(line(one.name, medianOf(runs.one)));
    console.log(line(two.name, medianOf(runs.two)));
    console.log(`  shape 2 / shape 1 throughput: ${median(ratios).toFixed(2)}`);

    const [a, b] = two.servers.map((s) => s.url);
    const same = await wakeUps(a, a);
    const across = await wakeUps(b, a);
    const describe = (xs: number[]) =>
      `p50 ${percentile(xs, 0.5).toFixed(2)} ms, p99 ${percentile(xs, 0.99).toFixed(2)} ms`;
    console.log(
      `wake-up of a polling client, ${PROBES} probes, send answered to message handed out:`,
    );
    console.log(`  same instance      ${describe(same)}`);
    console.log(`  across instances   ${describe(across)}`);
  } finally {
    await one.close();
    await two.close();
    for (const dir of dirs) await Deno.remove(dir, { recursive: true });
  }
}

await main();
