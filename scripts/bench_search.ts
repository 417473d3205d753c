/**
 * `deno run -A scripts/bench_search.ts`: how long one Search-Request takes over 100,000 users,
 * from the request to the first page answered (its results kept for the session, committed).
 * Every user has an account and a published Alias `<first> name<i % 1000> <i>`, indexed
 * through the presence hook as UpdatePresence would. The store is a KV file in a temp
 * directory, as in production. Prints per query the median of RUNS runs of QUERIES searches.
 */
import { loadConfig } from "../src/config.ts";
import { parseXmlFxp } from "../test/support/xml_fxp.ts";
import type { ElementObject } from "../src/codec/csp/message.ts";
import { createServer } from "../src/server.ts";
import type { Mutation } from "../src/store/kv.ts";

const USERS = 100_000;
const RUNS = 5;
const QUERIES = 21;
const FIRST = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy"];

const pair = (element: string, value: string) => ({
  SearchElement: element,
  SearchString: value,
});
/** Each case: a name, and the request body for the n-th search (a different value each time). */
const CASES: [string, (n: number) => ElementObject][] = [
  ["USER_ID prefix, 11 hits", (n) => ({ SearchPairList: [pair("USER_ID", `user${4242 + n}`)] })],
  ["USER_ALIAS whole alias, 1 hit", (n) => ({
    SearchPairList: [
      pair("USER_ALIAS", `${FIRST[(777 + n) % 10]} name${(777 + n) % 1000} ${777 + n}`),
    ],
  })],
  [
    "USER_ALIAS word, 100 hits",
    (n) => ({ SearchPairList: [pair("USER_ALIAS", `name${421 + n}`)] }),
  ],
  ["USER_ID (11,111 hits) and USER_ALIAS (100)", (n) => ({
    SearchPairList: [pair("USER_ID", "user1"), pair("USER_ALIAS", `name${421 + n}`)],
  })],
];

const dir = await Deno.makeTempDir();
const config = loadConfig({ IMPS_DOMAIN: "bench.test", IMPS_DATA: `${dir}/imps.kv` });
const server = await createServer(config, { parseXml: parseXmlFxp, sweepIntervalMs: 0 });
const context = server.context;
try {
  const started = performance.now();
  let mutations: Mutation[] = [];
  for (let i = 0; i < USERS; i++) {
    const id = `wv:user${i}@bench.test`;
    mutations.push({ type: "set", key: ["user", id], value: { id, createdAt: 0 } });
    mutations.push(
      ...await server.elements.search.indexPresence(id, {
        Alias: { Qualifier: true, PresenceValue: `${FIRST[i % 10]} name${i % 1000} ${i}` },
      }),
    );
    if (mutations.length >= 400) {
      await context.store.write(...mutations);
      mutations = [];
    }
  }
  await context.store.write(...mutations);
  console.log(`${USERS} users indexed in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  const now = Date.now();
  const ctx = {
    server: context,
    version: "1.2" as const,
    transactionId: "bench",
    session: {
      id: "bench-session",
      userId: "wv:user0@bench.test",
      version: "1.2" as const,
      ttl: 3600,
      expiresAt: now + 3600_000,
      createdAt: now,
      multiTrans: 1,
    },
  };
  const searchRequest = context.registry.primitive("Search-Request", "1.2")!;
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  for (const [name, body] of CASES) {
    const medians: number[] = [];
    for (let run = 0; run <= RUNS; run++) {
      const times: number[] = [];
      for (let n = 0; n < QUERIES; n++) {
        const start = performance.now();
        const reply = await searchRequest.handle(ctx, body(n));
        times.push(performance.now() - start);
        if (!reply || Array.isArray(reply) || reply.name !== "Search-Response") {
          throw new Error(`${name}: no Search-Response: ${JSON.stringify(reply)}`);
        }
      }
      if (run > 0) medians.push(median(times)); // run 0 warms up
    }
    console.log(
      `${name}: median ${median(medians).toFixed(2)} ms ` +
        `(run medians ${medians.map((m) => m.toFixed(2)).join(", ")})`,
    );
  }
} finally {
  await server.close();
  await Deno.remove(dir, { recursive: true });
}
