/**
 * The mailbox bound's counts: a counter in KV for a store shared with other instances, ids kept in
 * memory for a store this process serves alone. Both follow messages stored and taken out.
 */
import assert from "node:assert/strict";
import {
  PENDING,
  StoredCounts,
  TrackedCounts,
  type WaitingCounts,
} from "../../src/services/im/waiting_counts.ts";
import { add, del, set, Store } from "../../src/store/kv.ts";

const BOB = "wv:bob@example.com";
const ALICE = "wv:alice@example.com";
const CAROL = "wv:carol@example.com";
const pending = (id: string) => [...PENDING, BOB, id];

for (const [name, make] of [["in KV", StoredCounts], ["in memory", TrackedCounts]] as const) {
  Deno.test(`counts ${name} follow messages stored and taken out, by sender and bytes`, async () => {
    const store = await Store.open(":memory:");
    try {
      const counts: WaitingCounts = new make(store);
      assert.equal(await counts.count(BOB), 0);
      const message = (id: string, sender: string, size: number) => ({
        id,
        recipient: BOB,
        sender,
        size,
      });
      const stored = [message("a", ALICE, 10), message("b", ALICE, 20), message("c", CAROL, 5)];
      for (const m of stored) {
        await store.write(set(pending(m.id), m), ...counts.change(m, 1));
      }
      assert.equal(await counts.count(BOB), 3);
      assert.deepEqual(await counts.use(BOB, ALICE), {
        messages: 3,
        bytes: 35,
        fromSender: { messages: 2, bytes: 30 },
      });
      await store.write(del(pending("b")), ...counts.change(stored[1], -1));
      assert.equal(await counts.count(BOB), 2);
      assert.deepEqual(await counts.use(BOB, ALICE), {
        messages: 2,
        bytes: 15,
        fromSender: { messages: 1, bytes: 10 },
      });
      assert.equal(await counts.count("wv:carol@example.com"), 0);
    } finally {
      await store.close();
    }
  });
}

Deno.test("counts in memory start from what the mailbox holds, and miss nothing stored meanwhile", async () => {
  const store = await Store.open(":memory:");
  try {
    await store.write(set(pending("a"), { id: "a" }), set(pending("b"), { id: "b" }));
    const counts = new TrackedCounts(store);
    // Counted while "c" is being committed: the answer may be before or after it, and what is
    // kept afterwards has it either way.
    const [counted] = await Promise.all([
      counts.count(BOB),
      store.write(set(pending("c"), { id: "c" })),
    ]);
    assert.ok(counted === 2 || counted === 3, `counted ${counted}`);
    assert.equal(await counts.count(BOB), 3);
    await store.write(del(pending("a")));
    assert.equal(await counts.count(BOB), 2, "a message taken out leaves the count");
  } finally {
    await store.close();
  }
});

Deno.test("counters in KV taken below zero by messages stored before them count as none", async () => {
  const store = await Store.open(":memory:");
  try {
    const counts = new StoredCounts(store);
    const older = { id: "old", recipient: BOB, sender: ALICE, size: 100 };
    // Stored by an earlier version: only the count was kept.
    await store.write(set(pending("old"), older), add(["im", "count", BOB], 1));
    await store.write(del(pending("old")), ...counts.change(older, -1));
    assert.deepEqual(await counts.use(BOB, ALICE), {
      messages: 0,
      bytes: 0,
      fromSender: { messages: 0, bytes: 0 },
    });
  } finally {
    await store.close();
  }
});
