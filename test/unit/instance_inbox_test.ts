/**
 * The instance inbox on its own: two instances in this process on one KV file in shared mode
 * (each its own connections, as two processes would have; watches reach the handles of one
 * process on a file). With `watch` and a look far too slow to matter, a note arrives only if the
 * bell's watch wakes its instance.
 */
import assert from "node:assert/strict";
import { type InboxOptions, InstanceInbox } from "../../src/store/instance_inbox.ts";
import { Store } from "../../src/store/kv.ts";

/** A look interval no test waits for: what arrives, arrives by the watch. */
const NO_LOOK_MS = 60_000;

interface Pair extends AsyncDisposable {
  /** The instance awaiting notes, and what it was handed. */
  receiver: InstanceInbox;
  received: unknown[];
  /** Another instance on the same file. */
  sender: InstanceInbox;
}

async function pair(options: InboxOptions): Promise<Pair> {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/imps.kv`;
  const stores = [
    await Store.open(path, { lock: true, shared: true }),
    await Store.open(path, { lock: true, shared: true }),
  ];
  const receiver = new InstanceInbox(stores[0], options);
  const sender = new InstanceInbox(stores[1], options);
  const received: Pair["received"] = [];
  receiver.on("test", (data) => void received.push(data));
  return {
    receiver,
    received,
    sender,
    async [Symbol.asyncDispose]() {
      await receiver.close();
      await sender.close();
      for (const store of stores) await store.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** Resolves once `ready` holds (looked at every 5 ms); fails after `ms`. */
async function until(ready: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = performance.now() + ms;
  while (!ready()) {
    if (performance.now() > deadline) assert.fail(`${what}: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 200));

Deno.test("watch: a note posted by another instance wakes the one awaiting notes, each time", async () => {
  await using p = await pair({ wake: "watch", lookMs: NO_LOOK_MS });
  const release = p.receiver.hold();
  // The first look, at the hold, is over: what comes now comes by the bell.
  await settle();
  for (let i = 0; i < 3; i++) {
    await p.sender.post(p.receiver.id, "test", { n: i });
    await until(() => p.received.length === i + 1, 2_000, `note ${i}`);
    assert.deepEqual(p.received[i], { n: i });
  }
  release();
});

Deno.test("watch: an instance no longer awaiting notes does not take them; at its next hold it does", async () => {
  await using p = await pair({ wake: "watch", lookMs: NO_LOOK_MS });
  p.receiver.hold()();
  // Its last look and its watch are over.
  await settle();
  await p.sender.post(p.receiver.id, "test", "while idle");
  await settle();
  assert.deepEqual(p.received, []);
  const release = p.receiver.hold();
  await until(() => p.received.length === 1, 2_000, "the note waiting since");
  release();
});

Deno.test("watch: a hold taken while the last one's watch is being closed is followed", async () => {
  await using p = await pair({ wake: "watch", lookMs: NO_LOOK_MS });
  const first = p.receiver.hold();
  await settle();
  first();
  // A few turns of the event loop's microtasks: the loop has left its looks and is closing the
  // watch (an instant, so no timer).
  for (let i = 0; i < 3; i++) await Promise.resolve();
  const release = p.receiver.hold();
  await settle();
  await p.sender.post(p.receiver.id, "test", "after the gap");
  await until(() => p.received.length === 1, 2_000, "the note");
  release();
});

Deno.test("look: notes arrive by the looks alone", async () => {
  await using p = await pair({ wake: "look", lookMs: 20 });
  const release = p.receiver.hold();
  await settle();
  await p.sender.post(p.receiver.id, "test", "looked for");
  await until(() => p.received.length === 1, 2_000, "the note");
  release();
});

Deno.test("look: with the looks slowed down, a posted note waits for the next look", async () => {
  await using p = await pair({ wake: "look", lookMs: NO_LOOK_MS });
  const release = p.receiver.hold();
  await settle();
  await p.sender.post(p.receiver.id, "test", "not seen");
  await settle();
  assert.deepEqual(p.received, []);
  release();
});
