/**
 * `deno run -A --v8-flags=--expose-gc scripts/kv_costs.ts [--messages 200] [--watchers 10]
 * [--sessions 1000]`: what the server asks of its KV, per message and per presence update, and
 * what a session costs in memory, on a KV file served by this process alone and in shared mode
 * (IMPS_SHARED=true: what several instances, or Deno Deploy's KV, see). The figures behind the
 * README's capacity analysis ("Shapes").
 *
 * KV calls are counted at `Deno.Kv` (reads: get, getMany keys, list calls and entries listed;
 * writes: commits, mutations, checks); bytes written are the JSON size of each set's key and
 * value, close to what Deno KV stores. A message is alice's SendMessage, bob's poll that hands it
 * out and his acknowledgement in the poll after (steady state, after a warm-up). A presence update
 * is alice's UpdatePresence with `watchers` subscribed watchers online, their polls not counted.
 * Memory is the JS heap after garbage collection, with `sessions` users logged in, per session.
 */
import { ackDelivered, infoOf, poll, sendOk } from "../test/im/im_support.ts";
import { type Harness, startServer } from "../test/support/harness.ts";
import { authorise, id, pollAll, subscribeUsers } from "../test/presence/support.ts";
import { option } from "./bench_support.ts";

const MESSAGES = option("messages", 200);
const WATCHERS = option("watchers", 10);
const SESSIONS = option("sessions", 1000);

const counts = { reads: 0, listed: 0, commits: 0, mutations: 0, checks: 0, bytes: 0 };
const zero = () => Object.keys(counts).forEach((k) => counts[k as keyof typeof counts] = 0);

const kv = Deno.Kv.prototype;
const { get, getMany, list, atomic } = kv;
kv.get = function (this: Deno.Kv, ...args: Parameters<Deno.Kv["get"]>) {
  counts.reads++;
  return get.apply(this, args);
} as Deno.Kv["get"];
kv.getMany = function (
  this: Deno.Kv,
  keys: Deno.KvKey[],
  options?: { consistency?: Deno.KvConsistencyLevel },
) {
  counts.reads += keys.length;
  return getMany.call(this, keys, options);
} as Deno.Kv["getMany"];
kv.list = function (this: Deno.Kv, ...args: Parameters<Deno.Kv["list"]>) {
  counts.reads++;
  const iterator = list.apply(this, args);
  const next = iterator.next.bind(iterator);
  iterator.next = async () => {
    const step = await next();
    if (!step.done) counts.listed++;
    return step;
  };
  return iterator;
} as Deno.Kv["list"];
kv.atomic = function (this: Deno.Kv) {
  const op = atomic.call(this);
  const { set, delete: remove, check, commit, sum } = op;
  op.set = (key, value, options) => {
    counts.mutations++;
    counts.bytes += JSON.stringify(key).length + (JSON.stringify(value)?.length ?? 0);
    return set.call(op, key, value, options);
  };
  op.delete = (key) => {
    counts.mutations++;
    return remove.call(op, key);
  };
  op.sum = (key, n) => {
    counts.mutations++;
    return sum.call(op, key, n);
  };
  op.check = (...checks) => {
    counts.checks += checks.length;
    return check.apply(op, checks);
  };
  op.commit = () => {
    counts.commits++;
    return commit.call(op);
  };
  return op;
};

const per = (n: number) =>
  `${(counts.reads / n).toFixed(1)} reads (+${(counts.listed / n).toFixed(1)} entries listed), ` +
  `${(counts.commits / n).toFixed(2)} commits, ${(counts.mutations / n).toFixed(1)} mutations, ` +
  `${(counts.checks / n).toFixed(1)} checks, ${(counts.bytes / n).toFixed(0)} bytes written`;

async function server(shared: boolean, dir: string): Promise<Harness> {
  return await startServer({
    shape: "one",
    env: { IMPS_DATA: `${dir}/imps.kv`, IMPS_SHARED: String(shared), IMPS_MAILBOX_SIZE: "1000" },
  });
}

async function messageCosts(h: Harness): Promise<string> {
  await h.addUser("alice", "pw");
  await h.addUser("bob", "pw");
  const alice = h.client("alice");
  const bob = h.client("bob");
  await alice.login("pw");
  await bob.login("pw");
  const exchange = async (n: number) => {
    for (let i = 0; i < n; i++) {
      await sendOk(alice, [bob.userId], `message ${i} of a typical chat length, some sixty bytes`);
      const [tx] = await poll(bob);
      if (!infoOf(tx)) throw new Error("bob got nothing");
      await ackDelivered(bob, tx);
    }
  };
  await exchange(20);
  zero();
  await exchange(MESSAGES);
  return `per message: ${per(MESSAGES)}`;
}

async function presenceCosts(h: Harness): Promise<string> {
  await h.addUser("carol", "pw");
  const carol = h.client("carol");
  await carol.login("pw");
  const watchers = [];
  for (let i = 0; i < WATCHERS; i++) {
    await h.addUser(`w${i}`, "pw");
    const watcher = h.client(`w${i}`);
    await watcher.login("pw");
    watchers.push(watcher);
  }
  await carol.send(authorise("1.2", watchers.map((w) => w.userId), "OnlineStatus", "StatusText"));
  for (const w of watchers) await w.send(subscribeUsers("1.2", [id("carol")]));
  for (const w of watchers) await pollAll(w);
  const update = (n: number) =>
    carol.send(
      `<UpdatePresence-Request><PresenceSubList xmlns="http://www.openmobilealliance.org/DTD/` +
        `WV-PA1.2"><StatusText><Qualifier>T</Qualifier><PresenceValue>at lunch ${n}` +
        `</PresenceValue></StatusText></PresenceSubList></UpdatePresence-Request>`,
    );
  for (let n = 0; n < 5; n++) await update(n);
  zero();
  const updates = 20;
  for (let n = 0; n < updates; n++) await update(n);
  return `per presence update to ${WATCHERS} watchers: ${per(updates)}`;
}

async function sessionMemory(h: Harness): Promise<string> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return "memory per session: run with --v8-flags=--expose-gc";
  for (let i = 0; i < SESSIONS; i++) await h.addUser(`m${i}`, "pw");
  gc();
  const before = Deno.memoryUsage().heapUsed;
  const clients = [];
  for (let i = 0; i < SESSIONS; i++) {
    const client = h.client(`m${i}`);
    await client.login("pw");
    await client.send("<Polling-Request/>", { transactionId: "" });
    clients.push(client.sessionId);
  }
  gc();
  const after = Deno.memoryUsage().heapUsed;
  return `memory per session (${SESSIONS} logged in, one poll each): ` +
    `${((after - before) / SESSIONS / 1024).toFixed(1)} KiB of JS heap`;
}

for (const shared of [false, true]) {
  const dir = await Deno.makeTempDir();
  console.log(shared ? "KV file in shared mode (IMPS_SHARED=true):" : "KV file, one process:");
  for (const measure of [messageCosts, presenceCosts, sessionMemory]) {
    const h = await server(shared, dir);
    try {
      console.log(`  ${await measure(h)}`);
    } finally {
      await h.close();
    }
  }
  await Deno.remove(dir, { recursive: true });
}
