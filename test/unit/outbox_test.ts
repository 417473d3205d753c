/** The outbox: handing entries out costs no write; acknowledgements, resends and the Poll hint. */
import assert from "node:assert/strict";
import { Store } from "../../src/store/kv.ts";
import { OutboxRepo, RESEND_AFTER_MS } from "../../src/store/outbox.ts";

const status = (text: string) => ({ name: "Status", body: { Description: text } });

async function withOutbox(body: (outbox: OutboxRepo, store: Store) => Promise<void>) {
  const store = await Store.open(":memory:");
  try {
    await body(new OutboxRepo(store), store);
  } finally {
    await store.close();
  }
}

Deno.test("a poll hands entries out without writing; they come back only after the resend time", async () => {
  await withOutbox(async (outbox, store) => {
    await outbox.enqueue("s1", { primitive: status("one") });
    await outbox.enqueue("s1", { primitive: status("two") });
    const commits = store.commits.stats.commits;
    const now = Date.now();

    const first = (await outbox.handOut("s1", now, 1)).entries;
    const second = (await outbox.handOut("s1", now, 5)).entries;
    assert.deepEqual([...first, ...second].map((e) => e.primitive.body.Description), [
      "one",
      "two",
    ]);
    assert.deepEqual((await outbox.handOut("s1", now, 5)).entries, [], "both in flight");
    assert.equal(await outbox.hasDeliverable("s1", now), false);
    assert.equal(store.commits.stats.commits, commits, "handing out wrote nothing");

    const later = (await outbox.handOut("s1", now + RESEND_AFTER_MS, 5)).entries;
    assert.deepEqual(later.map((e) => e.seq), [...first, ...second].map((e) => e.seq));
  });
});

Deno.test("a poll says whether more was due than it took: its answer's Poll flag", async () => {
  await withOutbox(async (outbox) => {
    for (const text of ["one", "two", "three"]) {
      await outbox.enqueue("s1", { primitive: status(text) });
    }
    const now = Date.now();
    const described = (
      { entries, more }: { entries: { primitive: { body: object } }[]; more: boolean },
    ) => ({
      texts: entries.map((e) => (e.primitive.body as { Description: string }).Description),
      more,
    });
    assert.deepEqual(described(await outbox.handOut("s1", now, 2)), {
      texts: ["one", "two"],
      more: true,
    });
    assert.deepEqual(described(await outbox.handOut("s1", now, 1)), {
      texts: ["three"],
      more: false,
    });
    assert.deepEqual(described(await outbox.handOut("s1", now, 1)), { texts: [], more: false });
  });
});

Deno.test("an acknowledged entry is gone, and a second acknowledgement finds nothing", async () => {
  await withOutbox(async (outbox) => {
    await outbox.enqueue("s1", { primitive: status("once") });
    const [entry] = (await outbox.handOut("s1", Date.now(), 1)).entries;
    const [a, b] = await Promise.all([outbox.ack("s1", entry.seq), outbox.ack("s1", entry.seq)]);
    assert.deepEqual([a?.seq, b], [entry.seq, undefined]);
    assert.deepEqual(await outbox.all("s1"), []);
    assert.deepEqual((await outbox.handOut("s1", Date.now() + RESEND_AFTER_MS, 5)).entries, []);
  });
});

Deno.test("an entry replaced while in flight stays queued when the old one is acknowledged", async () => {
  await withOutbox(async (outbox) => {
    const entry = (text: string) => ({ primitive: status(text), coalesceKey: "presence:alice" });
    await outbox.enqueue("s1", entry("away"));
    const [handed] = (await outbox.handOut("s1", Date.now(), 1)).entries;
    // The client has "away" in hand; the new state goes in a new entry, not over the old one.
    await outbox.enqueue("s1", entry("lunch"));
    await outbox.ack("s1", handed.seq);
    const [next] = (await outbox.handOut("s1", Date.now(), 5)).entries;
    assert.equal(next.primitive.body.Description, "lunch");
  });
});

Deno.test("a session's queue is read once; what is queued or taken off later is known without reading", async () => {
  await withOutbox(async (outbox, store) => {
    let lists = 0;
    const scan = store.scan.bind(store);
    store.scan = ((...args: Parameters<typeof scan>) => {
      lists++;
      return scan(...args);
    }) as typeof scan;
    const now = Date.now();
    assert.equal(await outbox.hasDeliverable("s1", now), false);
    assert.equal(await outbox.hasDeliverable("s1", now), false);
    assert.equal(lists, 1, "the second look was answered from memory");

    await outbox.enqueue("s1", { primitive: status("news") });
    assert.equal(await outbox.hasDeliverable("s1", now), true, "the commit was followed");
    const [news] = (await outbox.handOut("s1", now, 5)).entries;
    assert.equal(news.primitive.body.Description, "news");
    await outbox.ack("s1", news.seq);
    assert.equal(await outbox.hasDeliverable("s1", now + RESEND_AFTER_MS - 1_000), false);
    assert.equal(lists, 2, "read again only once the view was older than it is believed");
  });
});

Deno.test("an entry committed while the queue is being read is not missed", async () => {
  await withOutbox(async (outbox, store) => {
    const scan = store.scan.bind(store);
    // The read takes its snapshot, then a commit queues an entry before the answer is used.
    store.scan = (async function* (...args: Parameters<typeof scan>) {
      const snapshot = await Array.fromAsync(scan(...args));
      store.scan = scan;
      await outbox.enqueue("s1", { primitive: status("meanwhile") });
      yield* snapshot;
    }) as unknown as typeof scan;
    const now = Date.now();
    const first = (await outbox.handOut("s1", now, 5)).entries;
    const later = (await outbox.handOut("s1", now, 5)).entries;
    assert.deepEqual([...first, ...later].map((e) => e.primitive.body.Description), ["meanwhile"]);
  });
});

Deno.test("a queue longer than a view holds is handed out in order, all of it", async () => {
  await withOutbox(async (outbox, store) => {
    const mutations = [];
    for (let i = 0; i < 100; i++) {
      mutations.push(...await outbox.enqueueMutations("s1", { primitive: status(`n${i}`) }));
    }
    await store.write(...mutations);
    const seen: string[] = [];
    for (let polls = 0; polls < 20 && seen.length < 100; polls++) {
      const handed = (await outbox.handOut("s1", Date.now(), 15)).entries;
      for (const entry of handed) {
        seen.push(String(entry.primitive.body.Description));
        await outbox.ack("s1", entry.seq);
      }
    }
    assert.deepEqual(seen, Array.from({ length: 100 }, (_, i) => `n${i}`));
  });
});

Deno.test("an entry rewritten between a poll and its acknowledgement is handed out again", async () => {
  await withOutbox(async (outbox, store) => {
    const entry = (text: string) => ({ primitive: status(text), coalesceKey: "presence:alice" });
    await outbox.enqueue("s1", entry("away"));
    // The update is prepared while the entry is still unsent, so it will rewrite it in place...
    const rewrite = await outbox.enqueueMutations("s1", entry("lunch"));
    // ...but a poll hands the old state out before that rewrite is committed.
    const [handed] = (await outbox.handOut("s1", Date.now(), 1)).entries;
    await store.write(...rewrite);
    assert.equal(await outbox.ack("s1", handed.seq), undefined, "not what the client saw");
    const [again] = (await outbox.handOut("s1", Date.now(), 5)).entries;
    assert.equal(again.seq, handed.seq);
    assert.equal(again.primitive.body.Description, "lunch");
  });
});

Deno.test("shared mode: an entry one instance handed out and another rewrote stays due when the older version is acknowledged there", async () => {
  const dir = await Deno.makeTempDir();
  const open = () => Store.open(`${dir}/imps.kv`, { lock: true, shared: true });
  const [one, two] = [await open(), await open()];
  try {
    const [polled, updated] = [new OutboxRepo(one), new OutboxRepo(two)];
    const entry = (text: string) => ({ primitive: status(text), coalesceKey: "presence:alice" });
    await polled.enqueue("s1", entry("away"));
    // Instance one hands "away" out; instance two, not knowing, rewrites the entry in place.
    const [handed] = (await polled.handOut("s1", Date.now(), 1)).entries;
    await updated.enqueue("s1", entry("lunch"));
    // The client's acknowledgement of "away" reaches instance two.
    const taken = await updated.acknowledgement("s1", handed.seq);
    await two.write(...taken!.mutations);
    const [next] = (await polled.handOut("s1", Date.now(), 5)).entries;
    assert.equal(next?.primitive.body.Description, "lunch", "the newer state is not lost");
  } finally {
    await one.close();
    await two.close();
    await Deno.remove(dir, { recursive: true });
  }
});
