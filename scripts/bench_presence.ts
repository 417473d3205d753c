/**
 * `deno run -A scripts/bench_presence.ts`: how long one UpdatePresence takes, from the request to
 * every watcher's notification committed in its outbox, for 1k and 10k watchers (each with one
 * live session, all authorised by a default attribute list). The store is a KV file in a temp
 * directory, as in production.
 *
 * Both sizes are set up first and their runs alternate, so a change in the machine's load during
 * the benchmark touches both alike; it prints the median of RUNS runs of each and their ratio.
 * No watcher polls between runs, so every notification replaces the one still queued for that
 * watcher (deleting it): the costlier path, as a watcher that polled has nothing to replace, and
 * no other work runs between the timed updates.
 */
import { loadConfig } from "../src/config.ts";
import { parseXmlFxp } from "../test/support/xml_fxp.ts";
import { createServer, type ImpsServer } from "../src/server.ts";
import { commitAll } from "../src/services/presence/commit.ts";
import { PresenceRepo } from "../src/services/presence/repo.ts";
import type { RequestContext } from "../src/session/handler.ts";
import type { Mutation } from "../src/store/kv.ts";

const RUNS = 15;
const SIZES = [1_000, 10_000];
const OWNER = "wv:owner@bench.test";

interface Case {
  dir: string;
  server: ImpsServer;
  sessions: string[];
  ctx: RequestContext;
}

async function setUp(size: number): Promise<Case> {
  const dir = await Deno.makeTempDir();
  const config = loadConfig({ IMPS_DOMAIN: "bench.test", IMPS_DATA: `${dir}/imps.kv` });
  const server = await createServer(config, { parseXml: parseXmlFxp, sweepIntervalMs: 0 });
  const context = server.context;
  const repo = new PresenceRepo(context.store);
  const now = Date.now();
  const session = { version: "1.2" as const, ttl: 3600, expiresAt: now + 3600_000, createdAt: now };
  const sessions: string[] = [];
  const mutations: Mutation[] = [
    repo.setSettings(OWNER, { defaultGrant: ["StatusText", "OnlineStatus"] }),
    { type: "set", key: ["user", OWNER], value: { id: OWNER, createdAt: now } },
  ];
  for (let i = 0; i < size; i++) {
    const watcher = `wv:w${i}@bench.test`;
    const id = `bench-session-${i}`;
    mutations.push(
      ...repo.setWatch(OWNER, watcher, { attributes: "all", via: ["direct"], since: now }),
      repo.setListener(OWNER, { watcher, session: id, record: { attributes: "all" } }),
    );
    sessions.push(id);
    await context.sessions.repo.create({ id, userId: watcher, multiTrans: 1, ...session });
  }
  await commitAll(context.store, mutations);
  const ctx = {
    server: context,
    version: "1.2" as const,
    transactionId: "bench",
    session: { id: "owner-session", userId: OWNER, multiTrans: 1, ...session },
  };
  return { dir, server, sessions, ctx };
}

/** One timed UpdatePresence; checks that the last watcher holds exactly one notification. */
async function run(c: Case, n: number): Promise<number> {
  const body = { PresenceSubList: { StatusText: { Qualifier: true, PresenceValue: `run ${n}` } } };
  const start = performance.now();
  await c.ctx.server.registry.primitive("UpdatePresence-Request", "1.2")!.handle(c.ctx, body);
  const elapsed = performance.now() - start;
  const queued = await c.ctx.server.outbox.all(c.sessions[c.sessions.length - 1]);
  if (queued.length !== 1) throw new Error(`the last watcher has ${queued.length} notifications`);
  return elapsed;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const cases: Case[] = [];
const times: number[][] = SIZES.map(() => []);
try {
  for (const size of SIZES) cases.push(await setUp(size));
  for (let n = 0; n <= RUNS; n++) {
    for (const i of n % 2 === 0 ? [0, 1] : [1, 0]) {
      const elapsed = await run(cases[i], n);
      if (n > 0) times[i].push(elapsed); // the first round warms up
    }
  }
  for (const [i, size] of SIZES.entries()) {
    console.log(
      `${size} watchers: median ${median(times[i]).toFixed(1)} ms (min ${
        Math.min(...times[i]).toFixed(1)
      }, max ${Math.max(...times[i]).toFixed(1)}, ${RUNS} runs)`,
    );
  }
  const [small, large] = times.map(median);
  console.log(`${SIZES[1]} / ${SIZES[0]}: ${(large / small).toFixed(1)}×`);
} finally {
  for (const c of cases) {
    await c.server.close();
    await Deno.remove(c.dir, { recursive: true });
  }
}
