/**
 * `deno run -A scripts/bench_presence.ts`: how long one UpdatePresence takes, from the request to
 * every watcher's notification committed in its outbox, for 1k and 10k watchers (each with one
 * live session, all authorised by a default attribute list). The store is a KV file in a temp
 * directory, as in production. Prints the median of RUNS runs; each run starts from empty
 * outboxes, so every notification is a new entry (the slower path; coalescing only rewrites).
 */
import { loadConfig } from "../src/config.ts";
import { parseXmlFxp } from "../src/codec/xml/parse.ts";
import { createServer } from "../src/server.ts";
import { updatePresenceRequest } from "../src/services/presence/update_presence.ts";
import { PresenceRepo } from "../src/services/presence/repo.ts";
import type { ServerContext } from "../src/session/server_context.ts";
import type { Mutation } from "../src/store/kv.ts";

const RUNS = 7;
const SIZES = [1_000, 10_000];
const OWNER = "wv:owner@bench.test";

async function commitChunked(server: ServerContext, mutations: Mutation[]): Promise<void> {
  for (let i = 0; i < mutations.length; i += 400) {
    await server.store.write(...mutations.slice(i, i + 400));
  }
}

async function setUp(server: ServerContext, watchers: number): Promise<string[]> {
  const repo = new PresenceRepo(server.store);
  const now = Date.now();
  const sessions: string[] = [];
  const mutations: Mutation[] = [
    repo.setSettings(OWNER, { defaultGrant: ["StatusText", "OnlineStatus"] }),
    { type: "set", key: ["user", OWNER], value: { id: OWNER, createdAt: now } },
  ];
  for (let i = 0; i < watchers; i++) {
    const watcher = `wv:w${i}@bench.test`;
    const id = `bench-session-${i}`;
    mutations.push(
      ...repo.setWatch(OWNER, watcher, { attributes: "all", via: ["direct"], since: now }),
      repo.addListener(OWNER, watcher, id),
    );
    sessions.push(id);
    await server.sessions.repo.create({
      id,
      userId: watcher,
      version: "1.2",
      ttl: 3600,
      expiresAt: now + 3600_000,
      createdAt: now,
      multiTrans: 1,
    });
  }
  await commitChunked(server, mutations);
  return sessions;
}

async function clearOutboxes(server: ServerContext, sessions: string[]): Promise<void> {
  const mutations = (await Promise.all(sessions.map((s) => server.outbox.clearMutations(s))))
    .flat();
  await commitChunked(server, mutations);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

for (const size of SIZES) {
  const dir = await Deno.makeTempDir();
  const config = loadConfig({ IMPS_DOMAIN: "bench.test", IMPS_DATA: `${dir}/imps.kv` });
  const server = await createServer(config, { parseXml: parseXmlFxp, sweepIntervalMs: 0 });
  const context = server.context;
  try {
    const sessions = await setUp(context, size);
    const ctx = {
      server: context,
      version: "1.2" as const,
      transactionId: "bench",
      session: {
        id: "owner-session",
        userId: OWNER,
        version: "1.2" as const,
        ttl: 3600,
        expiresAt: Date.now() + 3600_000,
        createdAt: Date.now(),
        multiTrans: 1,
      },
    };
    const times: number[] = [];
    for (let run = 0; run <= RUNS; run++) {
      await clearOutboxes(context, sessions);
      const body = {
        PresenceSubList: {
          StatusText: { Qualifier: true, PresenceValue: `run ${run}` },
        },
      };
      const start = performance.now();
      await updatePresenceRequest.handle(ctx, body);
      const elapsed = performance.now() - start;
      if (run > 0) times.push(elapsed); // run 0 warms up
      const queued = (await context.outbox.all(sessions[size - 1])).length;
      if (queued !== 1) throw new Error(`the last watcher has ${queued} notifications, not 1`);
    }
    console.log(
      `${size} watchers: median ${median(times).toFixed(1)} ms ` +
        `(min ${Math.min(...times).toFixed(1)}, max ${
          Math.max(...times).toFixed(1)
        }, ${RUNS} runs)`,
    );
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
}
