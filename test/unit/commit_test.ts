/** The store's write path: grouped commits, checks that settle races, counters, reads. */
import assert from "node:assert/strict";
import { add, check, CommitConflict, del, set, Store } from "../../src/store/kv.ts";

async function withStore(path: string, body: (store: Store) => Promise<void>): Promise<void> {
  const store = await Store.open(path);
  try {
    await body(store);
  } finally {
    await store.close();
  }
}

Deno.test("writes made at the same moment share one commit, and each resolves once durable", async () => {
  await withStore(":memory:", async (store) => {
    const before = store.commits.stats.commits;
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.write(set(["k", i], i))));
    assert.equal(store.commits.stats.commits - before, 1);
    assert.equal(await store.get(["k", 19]), 19);
  });
});

Deno.test("two writers that both saw a key absent: one wins, the other hears CommitConflict", async () => {
  await withStore(":memory:", async (store) => {
    const claim = (who: string) => store.write(check(["claim"], null), set(["claim"], who));
    const outcomes = await Promise.allSettled([claim("first"), claim("second")]);
    assert.deepEqual(outcomes.map((o) => o.status), ["fulfilled", "rejected"]);
    assert.ok((outcomes[1] as PromiseRejectedResult).reason instanceof CommitConflict);
    assert.equal(await store.get(["claim"]), "first");
  });
});

Deno.test("a failed check does not fail the writes committed beside it", async () => {
  await withStore(":memory:", async (store) => {
    await store.write(set(["taken"], 1));
    const [refused, plain] = await Promise.allSettled([
      store.write(check(["taken"], null), set(["never"], 1)),
      store.write(set(["plain"], 1)),
    ]);
    assert.equal(refused.status, "rejected");
    assert.equal(plain.status, "fulfilled");
    assert.equal(await store.get(["never"]), undefined);
    assert.equal(await store.get(["plain"]), 1);
  });
});

Deno.test("more checked writes at once than one commit may check are split, not refused", async () => {
  await withStore(":memory:", async (store) => {
    const before = store.commits.stats.commits;
    // Deno KV takes at most 100 checks per atomic operation.
    await Promise.all(
      Array.from({ length: 150 }, (_, i) => store.write(check(["c", i], null), set(["c", i], i))),
    );
    assert.equal(store.commits.stats.commits - before, 2);
    assert.equal(await store.get(["c", 149]), 149);
  });
});

Deno.test("writes whose keys together pass KV's 80 KiB key limit are split, not refused", async () => {
  await withStore(":memory:", async (store) => {
    const before = store.commits.stats.commits;
    const long = "k".repeat(120);
    await Promise.all(Array.from({ length: 1000 }, (_, i) => store.write(set([long, i], i))));
    assert.ok(store.commits.stats.commits - before <= 3);
    assert.equal(await store.get([long, 999]), 999);
  });
});

Deno.test("a versionstamp check holds only while the key is unchanged", async () => {
  await withStore(":memory:", async (store) => {
    await store.write(set(["entry"], "v1"));
    const seen = (await store.getEntry(["entry"]))!.versionstamp;
    await store.write(set(["entry"], "v2"));
    await assert.rejects(store.write(check(["entry"], seen), del(["entry"])), CommitConflict);
    assert.equal(await store.get(["entry"]), "v2");
  });
});

Deno.test("counters go up and down with add", async () => {
  await withStore(":memory:", async (store) => {
    await store.write(add(["count"], 1));
    await store.write(add(["count"], 1));
    await store.write(add(["count"], -1));
    assert.equal((await store.get<Deno.KvU64>(["count"]))?.value, 1n);
  });
});

Deno.test("commit listeners hear what each commit made durable", async () => {
  await withStore(":memory:", async (store) => {
    const heard: unknown[] = [];
    store.commits.onCommit((mutations) => heard.push(...mutations.map((m) => m.key)));
    await Promise.all([store.write(set(["a"], 1)), store.write(del(["b"]))]);
    assert.deepEqual(heard, [["a"], ["b"]]);
  });
});

Deno.test("gets asked together are answered together, each with its own value", async () => {
  await withStore(":memory:", async (store) => {
    await store.write(...Array.from({ length: 25 }, (_, i) => set(["n", i], i * i)));
    const keys = Array.from({ length: 26 }, (_, i) => ["n", i]);
    const values = await Promise.all(keys.map((key) => store.get<number>(key)));
    assert.deepEqual(values, [...Array.from({ length: 25 }, (_, i) => i * i), undefined]);
    // A key KV refuses fails only its own read.
    const [bad, good] = await Promise.allSettled([
      store.get(["x".repeat(3000)]),
      store.get<number>(["n", 3]),
    ]);
    assert.equal(bad.status, "rejected");
    assert.deepEqual(good, { status: "fulfilled", value: 9 });
  });
});

Deno.test("on a file store, a read after a write resolved sees it (reads use their own connection)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await withStore(`${dir}/imps.kv`, async (store) => {
      assert.ok(store.separateReader);
      for (let i = 0; i < 50; i++) {
        await store.write(set(["seq", "last"], i));
        assert.equal(await store.get(["seq", "last"]), i);
        assert.deepEqual((await store.list(["seq"])).map((e) => e.value), [i]);
      }
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
