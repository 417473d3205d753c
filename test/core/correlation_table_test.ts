import { deepStrictEqual, equal, ok, throws } from "node:assert/strict";
import type { CorrelationTable } from "../../src/core/mod.ts";
import { loadCore } from "../../src/core/mod.ts";
import { latin1, prng } from "./helpers.ts";

const cores = [await loadCore("ts"), await loadCore("wasm")];

interface Entry {
  slot: number;
  deadline: number;
}

/** Random operations against a Map model: inserts, lookups, removes, sweeps, growth, compaction. */
function exercise(table: CorrelationTable, seed: number, operations: number, keySpace: number) {
  const random = prng(seed);
  const model = new Map<string, Entry>();
  const sessions = ["", "1@a.test", "DE4821E897A4198EB0957A675DA469EF1G", "s\u00ff\u0000"];
  const key = () => {
    const session = sessions[Math.floor(random() * sessions.length)];
    const tx = Math.floor(random() * keySpace).toString(36).repeat(1 + Math.floor(random() * 3));
    return [session, tx] as const;
  };
  let now = 0;
  for (let i = 0; i < operations; i++) {
    const [session, tx] = key();
    const id = `${session}\u0001${tx}`;
    const s = latin1(session), t = latin1(tx);
    const r = random();
    if (r < 0.45) {
      const slot = Math.floor(random() * 0xffffffff);
      const deadline = now + Math.floor(random() * 1000);
      const fresh = !model.has(id);
      equal(table.insert(s, t, slot, deadline), fresh, `insert #${i}`);
      if (fresh) model.set(id, { slot, deadline });
    } else if (r < 0.7) {
      equal(table.lookup(s, t), model.get(id)?.slot ?? -1, `lookup #${i}`);
    } else if (r < 0.95) {
      equal(table.remove(s, t), model.get(id)?.slot ?? -1, `remove #${i}`);
      model.delete(id);
    } else {
      now += Math.floor(random() * 300);
      const expected = [...model].filter(([, e]) => e.deadline <= now);
      for (const [k] of expected) model.delete(k);
      deepStrictEqual(
        Array.from(table.sweep(now)).sort((a, b) => a - b),
        expected.map(([, e]) => e.slot).sort((a, b) => a - b),
        `sweep #${i}`,
      );
    }
    equal(table.size, model.size);
  }
  for (const [id, entry] of model) {
    const [session, tx] = id.split("\u0001");
    equal(table.lookup(latin1(session), latin1(tx)), entry.slot);
  }
}

for (const core of cores) {
  Deno.test(`${core.kind} table: 40000 random operations against a Map`, () => {
    for (const [seed, keySpace] of [[7, 500], [8, 50_000]]) {
      // 500 keys: many hits, removals and compactions; 50000: growth of buckets and arena.
      const table = core.createCorrelationTable();
      exercise(table, seed, 20_000, keySpace);
      table.free();
    }
  });

  Deno.test(`${core.kind} table: growth to 100000 entries, then a sweep of all`, () => {
    const table = core.createCorrelationTable();
    const session = latin1("1@b.test");
    for (let i = 0; i < 100_000; i++) ok(table.insert(session, latin1(`tx${i}`), i, i));
    equal(table.size, 100_000);
    ok(table.byteSize >= 100_000 * 24);
    equal(table.lookup(session, latin1("tx99999")), 99_999);
    equal(table.sweep(49_999).length, 50_000);
    equal(table.lookup(session, latin1("tx49999")), -1);
    equal(table.lookup(session, latin1("tx50000")), 50_000);
    equal(table.sweep(Infinity).length, 50_000);
    equal(table.size, 0);
    table.free();
  });

  Deno.test(`${core.kind} table: key parts are separate, slots are u32, NaN never expires`, () => {
    const table = core.createCorrelationTable();
    ok(table.insert(latin1("ab"), latin1("c"), 1, 0));
    ok(table.insert(latin1("a"), latin1("bc"), 2, NaN));
    deepStrictEqual([
      table.lookup(latin1("ab"), latin1("c")),
      table.lookup(latin1("a"), latin1("bc")),
    ], [1, 2]);
    deepStrictEqual(Array.from(table.sweep(1e300)), [1]);
    throws(() => table.insert(latin1("a"), latin1("x"), -1, 0), RangeError);
    throws(() => table.insert(new Uint8Array(0x8000), latin1("x"), 1, 0), RangeError);
    equal(table.lookup(new Uint8Array(0x8000), latin1("x")), -1);
    table.free();
  });
}
