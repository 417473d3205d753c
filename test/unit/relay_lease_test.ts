/**
 * The relay queue's leases on a store several instances share: a queue whose holder is gone is
 * taken over at the next look, a live holder is left alone, and work no instance started is
 * started by `resume` (the sweeps). In process, on a KV file opened in shared mode, with a peer
 * that takes every notification.
 */
import assert from "node:assert/strict";
import type { XmlElement } from "../../src/codec/xml/tree.ts";
import type { Federation } from "../../src/federation/federation.ts";
import { RelayQueue } from "../../src/federation/queue.ts";
import { Store } from "../../src/store/kv.ts";

const PEER = "b.test";
const lease = ["relay", "lease", PEER];

/** What the peer got, and a queue of this instance's on a shared store. */
async function sharedQueue() {
  const dir = await Deno.makeTempDir();
  const store = await Store.open(`${dir}/imps.kv`, { lock: true, shared: true });
  const got: string[] = [];
  const federation = {
    domain: "a.test",
    notify: (_domain: string, primitive: XmlElement) => {
      got.push(primitive.text);
      return Promise.resolve();
    },
  } as unknown as Federation;
  const queue = new RelayQueue(store, federation, "survivor");
  const queueJobs = (...texts: string[]) =>
    store.write(
      ...texts.map((text) =>
        queue.enqueue(PEER, {
          kind: "notify",
          primitive: { name: "Note", attrs: {}, children: [], text },
          giveUpAt: Date.now() + 60_000,
        })
      ),
    );
  const close = async () => {
    await queue.close();
    await store.close();
    await Deno.remove(dir, { recursive: true });
  };
  return { store, queue, got, queueJobs, close };
}

async function until(done: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const end = Date.now() + 5_000;
  while (!await done()) {
    assert.ok(Date.now() < end, what);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

Deno.test("a peer's queue whose instance is gone (its lease ran out) is taken over at the next look", async () => {
  const { store, queue, got, queueJobs, close } = await sharedQueue();
  try {
    await queueJobs("m1", "m2", "m3");
    await store.write({ type: "set", key: lease, value: { instance: "gone", until: Date.now() } });
    await queue.takeOver();
    await until(() => got.length === 3, "the jobs are sent");
    assert.deepEqual(got, ["m1", "m2", "m3"]);
    // Its work done, the instance that took it over gives the lease up.
    await until(async () => await store.get(lease) === undefined, "the lease is given up");
    assert.equal(await queue.waiting(PEER), 0);
  } finally {
    await close();
  }
});

Deno.test("a live holder's queue is left to it, by the look and by the sweep", async () => {
  const { store, queue, got, queueJobs, close } = await sharedQueue();
  try {
    await queueJobs("m1");
    const held = { instance: "alive", until: Date.now() + 60_000 };
    await store.write({ type: "set", key: lease, value: held });
    await queue.takeOver();
    await queue.resume();
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(got, []);
    assert.deepEqual(await store.get(lease), held);
  } finally {
    await close();
  }
});

Deno.test("work no instance started (its instance gone between the commit and the send) is started by the sweep", async () => {
  const { store, queue, got, queueJobs, close } = await sharedQueue();
  try {
    await queueJobs("m1", "m2");
    await queue.resume();
    await until(() => got.length === 2, "the jobs are sent");
    assert.deepEqual(got, ["m1", "m2"]);
    await until(async () => await store.get(lease) === undefined, "the lease is given up");
  } finally {
    await close();
  }
});
