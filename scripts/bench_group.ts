/**
 * `deno run -A scripts/bench_group.ts`: how long one SendMessage to a group takes, from the
 * request to a copy committed for every other joined member and queued (NewMessage) to their
 * session, for groups of 50 and 500 joined members (each with one live session, taking pushes,
 * so the copies are queue entries only). The baseline, in the same run and store, is the same
 * message to one user. The store is a KV file in a temp directory, as in production. Prints the median of RUNS runs; each run starts from
 * empty mailboxes and outboxes.
 */
import { loadConfig } from "../src/config.ts";
import { parseXmlFxp } from "../test/support/xml_fxp.ts";
import { createServer } from "../src/server.ts";
import { GroupRepo } from "../src/services/group/repo.ts";
import { DEFAULT_GROUP_PROPERTIES } from "../src/services/group/properties.ts";
import type { ElementObject, Primitive } from "../src/codec/csp/message.ts";
import type { RequestContext } from "../src/session/handler.ts";
import type { ServerContext } from "../src/session/handler.ts";
import type { Mutation } from "../src/store/kv.ts";
import type { SessionRecord } from "../src/store/sessions.ts";
import { hashPassword } from "../src/util/crypto.ts";

const RUNS = 9;
const SIZES = [50, 500];
const SENDER = "wv:owner@bench.test";
const TEXT = "Benchmark message of a typical chat length, about eighty bytes of text.";

async function commitChunked(server: ServerContext, mutations: Mutation[]): Promise<void> {
  for (let i = 0; i < mutations.length; i += 400) {
    await server.store.write(...mutations.slice(i, i + 400));
  }
}

function session(id: string, userId: string): SessionRecord {
  const now = Date.now();
  return {
    id,
    userId,
    version: "1.2",
    ttl: 3600,
    expiresAt: now + 3600_000,
    createdAt: now,
    multiTrans: 1,
  };
}

/** A group of `size` joined users (the sender among them), each with one session. */
async function setUp(
  server: ServerContext,
  size: number,
): Promise<{ groupId: string; members: string[] }> {
  const repo = new GroupRepo(server.store);
  const groupId = `wv:owner/room${size}@bench.test`;
  const now = Date.now();
  const mutations = repo.createMutations({
    id: groupId,
    owner: SENDER,
    createdAt: now,
    properties: DEFAULT_GROUP_PROPERTIES,
  });
  const members: string[] = [];
  for (let i = 0; i < size; i++) {
    const user = i === 0 ? SENDER : `wv:m${size}x${i}@bench.test`;
    mutations.push(...repo.joinMutations(groupId, {
      user,
      screenName: `member ${i}`,
      subscribed: false,
      joinedAt: now,
    }));
    await server.sessions.repo.create(session(`bench-${size}-${i}`, user));
    if (i > 0) members.push(user);
  }
  await commitChunked(server, mutations);
  return { groupId, members };
}

/** Empties the receivers' mailboxes and outboxes, so every run delivers into the same state. */
async function clear(server: ServerContext, users: string[]): Promise<void> {
  const mutations: Mutation[] = [];
  for (const user of users) {
    for (const e of await server.store.list(["im", "pending", user])) {
      mutations.push({ type: "delete", key: e.key });
    }
    // The counter a shared store keeps (a store served alone counts in memory).
    mutations.push({ type: "delete", key: ["im", "count", user] });
    for (const s of await server.sessions.repo.listByUser(user)) {
      mutations.push(...await server.outbox.clearMutations(s.id));
    }
  }
  await commitChunked(server, mutations);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const sendBody = (recipient: ElementObject): ElementObject => ({
  DeliveryReport: false,
  MessageInfo: { ContentType: "text/plain", Recipient: recipient },
  ContentData: TEXT,
});

/** Sends `body` RUNS times (after a warm-up), each into emptied mailboxes; prints the median. */
async function measure(
  ctx: RequestContext,
  label: string,
  body: ElementObject,
  receivers: string[],
) {
  const times: number[] = [];
  for (let run = 0; run <= RUNS; run++) {
    await clear(ctx.server, receivers);
    const start = performance.now();
    const answer = await ctx.server.registry.primitive("SendMessage-Request", "1.2")!.handle(
      ctx,
      body,
    ) as Primitive;
    const elapsed = performance.now() - start;
    const code = (answer.body.Result as ElementObject).Code;
    if (code !== 200) throw new Error(`${label}: answered ${code}`);
    if (run > 0) times.push(elapsed); // run 0 warms up
    const [last] = await ctx.server.sessions.repo.listByUser(receivers[receivers.length - 1]);
    // Queued to the session, or waiting in the mailbox it is handed out from.
    const due = (await ctx.server.outbox.deliverable(last.id, Date.now(), 10)).length;
    if (due !== 1) throw new Error(`${label}: the last receiver has ${due} messages due, not 1`);
  }
  console.log(
    `${label}: median ${median(times).toFixed(1)} ms (min ${Math.min(...times).toFixed(1)}, ` +
      `max ${Math.max(...times).toFixed(1)}, ${RUNS} runs)`,
  );
}

const dir = await Deno.makeTempDir();
const config = loadConfig({ IMPS_DOMAIN: "bench.test", IMPS_DATA: `${dir}/imps.kv` });
const server = await createServer(config, { parseXml: parseXmlFxp, sweepIntervalMs: 0 });
const context = server.context;
try {
  const ctx: RequestContext = {
    server: context,
    version: "1.2",
    transactionId: "bench",
    session: session("sender", SENDER),
  };
  await context.sessions.repo.create(ctx.session!);
  const solo = "wv:solo@bench.test";
  await context.users.create({
    id: solo,
    password: await hashPassword("x"),
    createdAt: Date.now(),
  });
  await context.sessions.repo.create(session("solo", solo));
  await measure(ctx, "baseline, one user", sendBody({ User: [{ UserID: solo }] }), [solo]);
  for (const size of SIZES) {
    const { groupId, members } = await setUp(context, size);
    const body = sendBody({ Group: [{ GroupID: groupId }] });
    await measure(ctx, `group of ${size} joined (${size - 1} receivers)`, body, members);
  }
} finally {
  await server.close();
  await Deno.remove(dir, { recursive: true });
}
