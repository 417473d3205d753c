/**
 * `deno run -A scripts/bench_listener.ts [--rounds 60] [--requests 400] [--connections 20]`: what
 * the guarded HTTP listener (`src/transport/http_listener.ts`: the gate and the relay to an inner
 * `Deno.serve`) costs per request, against `Deno.serve` alone, in server CPU.
 *
 * One process serves an echo route (the body back) three ways: `direct` and `direct2` by
 * `Deno.serve` (two identical listeners: the A/A control), `guarded` through `serveGuarded`. A
 * child process holds the clients (`--connections` keep-alive connections, 400-byte bodies) and
 * sends `--requests` requests to the listener it is told; the listeners take turns, in orders
 * that go through all six permutations, so that the machine's other load weighs on all alike.
 * Per turn: the server process's CPU time per request, in all and in the kernel (system time:
 * the relay's loopback hop). Prints the medians, and per round `guarded / mean(direct, direct2)`
 * and `direct2 / direct`.
 */
import process from "node:process";
import { serveGuarded } from "../src/transport/http_listener.ts";
import { option, readLines } from "./bench_support.ts";

const ROUNDS = option("rounds", 60);
const REQUESTS = option("requests", 400);
const CONNECTIONS = option("connections", 20);
const BODY = "x".repeat(400);
const NAMES = ["direct", "direct2", "guarded"] as const;
const ORDERS = [[0, 1, 2], [2, 0, 1], [1, 2, 0], [0, 2, 1], [1, 0, 2], [2, 1, 0]];

/** The clients: `REQUESTS` requests to the URL whose index each line on stdin names. */
async function clients(urls: string[]): Promise<void> {
  for await (const line of readLines(Deno.stdin.readable)) {
    const url = urls[Number(line)];
    await Promise.all(Array.from({ length: CONNECTIONS }, async () => {
      for (let k = 0; k < REQUESTS / CONNECTIONS; k++) {
        await (await fetch(url, { method: "POST", body: BODY })).text();
      }
    }));
    console.log("ok");
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1];
const percent = (ratio: number) => `${ratio >= 1 ? "+" : ""}${(100 * (ratio - 1)).toFixed(0)}%`;

async function main(): Promise<void> {
  const echo = async (request: Request) => new Response(await request.text());
  const direct = () => Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, echo);
  const listeners = [
    direct(),
    direct(),
    serveGuarded({
      hostname: "127.0.0.1",
      port: 0,
      maxConnections: 1000,
      maxPerAddress: 256,
      headTimeoutMs: 10_000,
      bodyTimeoutMs: 10_000,
      idleTimeoutMs: 30_000,
    }, echo),
  ];
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL(import.meta.url).pathname,
      "--clients",
      ...listeners.map((l) => `http://127.0.0.1:${l.addr.port}/`),
      ...Deno.args,
    ],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const commands = child.stdin.getWriter();
  const answers = readLines(child.stdout)[Symbol.asyncIterator]();
  /** One turn of listener `i`: server CPU per request, µs, in all and in the kernel. */
  const turn = async (i: number) => {
    const before = process.cpuUsage();
    await commands.write(new TextEncoder().encode(`${i}\n`));
    await answers.next();
    const after = process.cpuUsage();
    return {
      all: (after.user + after.system - before.user - before.system) / REQUESTS,
      system: (after.system - before.system) / REQUESTS,
    };
  };
  for (let warm = 0; warm < 10; warm++) for (let i = 0; i < 3; i++) await turn(i);
  const all: number[][] = [[], [], []];
  const system: number[][] = [[], [], []];
  for (let round = 0; round < ROUNDS; round++) {
    for (const i of ORDERS[round % ORDERS.length]) {
      const cost = await turn(i);
      all[i].push(cost.all);
      system[i].push(cost.system);
    }
  }
  await commands.close();
  await child.status;
  console.log(
    `${ROUNDS} rounds of ${REQUESTS} echo requests over ${CONNECTIONS} connections each; server ` +
      `CPU per request, median: ` +
      NAMES.map((name, i) =>
        `${name} ${median(all[i]).toFixed(1)} µs (kernel ${median(system[i]).toFixed(1)})`
      ).join(", "),
  );
  const guarded = all[2].map((g, r) => g / ((all[0][r] + all[1][r]) / 2));
  const control = all[1].map((d, r) => d / all[0][r]);
  console.log(
    `guarded / direct: median ${percent(median(guarded))}; A/A control direct2 / direct: ` +
      `${percent(median(control))}`,
  );
  for (const listener of listeners) await listener.shutdown();
}

const at = Deno.args.indexOf("--clients");
if (at === -1) await main();
else await clients(Deno.args.slice(at + 1, at + 4));
