/**
 * `deno task bench`: the WASM core against the TS core and the baselines it replaces
 * (fast-xml-parser via parseXmlFxp, a Headers-object head parser, a Map of objects), and WBXML
 * decoding against the XML tokenizer on the same messages. Prints medians and ratios, writes
 * bench/results.json. Each figure is the median of RUNS timed runs.
 */
import { parseXmlFxp } from "../test/support/xml_fxp.ts";
import { DEFAULT_XML_LIMITS } from "../src/codec/xml/tree.ts";
import { loadCore } from "../src/core/mod.ts";
import { encodeWbxmlTree } from "../src/codec/wbxml/mod.ts";
import type { CorrelationTable } from "../src/core/correlation_table.ts";
import { headsWithHeadersObject, largeGetListResponse, sspRequestHead } from "./bench_inputs.ts";

const RUNS = 5;
const RUN_MS = 120;
const LIMITS = { ...DEFAULT_XML_LIMITS, maxBytes: 4 * 1024 * 1024 };

const ts = await loadCore("ts");
const wasm = await loadCore("wasm");

interface Row {
  group: string;
  case: string;
  impl: string;
  /** Median nanoseconds per unit (message, stream or operation). */
  ns: number;
  mbPerS?: number;
  opsPerS?: number;
  bytesPerEntry?: number;
}
const rows: Row[] = [];

function progress(message: string): void {
  console.error(`  … ${message}`);
}

/** Median ns per call of `fn`, each run lasting about RUN_MS. */
function time(fn: () => void): number {
  let n = 1;
  const start = performance.now();
  for (; performance.now() - start < 30; n *= 2) {
    for (let i = 0; i < n; i++) fn(); // warm-up and calibration
  }
  const perRun = Math.max(1, Math.round(n * RUN_MS / 60));
  const samples: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const t0 = performance.now();
    for (let i = 0; i < perRun; i++) fn();
    samples.push((performance.now() - t0) * 1e6 / perRun);
  }
  return median(samples);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}

// ---- XML ----------------------------------------------------------------------------------

function xmlCase(name: string, messages: Uint8Array[]): void {
  const bytes = messages.reduce((sum, m) => sum + m.length, 0);
  const each = (f: (m: Uint8Array) => unknown) => () => {
    for (const m of messages) f(m);
  };
  const impls: [string, () => void][] = [
    ["wasm tokenize", each((m) => wasm.tokenizer.tokenize(m, LIMITS.maxDepth, LIMITS.maxElements))],
    ["ts tokenize", each((m) => ts.tokenizer.tokenize(m, LIMITS.maxDepth, LIMITS.maxElements))],
    ["wasm tree", each((m) => wasm.parseXml(m, LIMITS))],
    ["ts tree", each((m) => ts.parseXml(m, LIMITS))],
    ["fast-xml-parser tree", each((m) => parseXmlFxp(m, LIMITS))],
  ];
  for (const [impl, fn] of impls) {
    progress(`xml ${name}: ${impl}`);
    const ns = time(fn);
    rows.push({
      group: "xml",
      case: name,
      impl,
      ns: ns / messages.length,
      mbPerS: bytes / ns * 1e3,
    });
  }
}

const specDir = new URL("../../shared/fixtures/csp11-spec-examples/xml/", import.meta.url);
let specExamples: Uint8Array[] = [];
try {
  specExamples = [...Deno.readDirSync(specDir)].filter((e) => e.name.endsWith(".xml"))
    .map((e) => Deno.readFileSync(new URL(e.name, specDir)));
} catch {
  console.error("NOTE: spec examples not found beside the checkout; that case is skipped");
}
if (specExamples.length) xmlCase(`${specExamples.length} spec examples`, specExamples);
const large = largeGetListResponse(500);
xmlCase(`GetList-Response, 500 contacts (${(large.length / 1024).toFixed(0)} KiB)`, [large]);

// ---- WBXML ----------------------------------------------------------------------------------

/**
 * Median ns per call of each of `fns`, timed in turns (a short batch of each, round after round),
 * so that a busy machine's changing speed falls on every implementation alike.
 */
function timeInTurns(fns: (() => void)[]): number[] {
  const batches = fns.map((fn) => {
    let n = 1;
    const start = performance.now();
    for (; performance.now() - start < 10; n *= 2) {
      for (let i = 0; i < n; i++) fn(); // warm-up and calibration
    }
    return Math.max(1, Math.round(n * 20 / 10));
  });
  const samples: number[][] = fns.map(() => []);
  for (let round = 0; round < 6 * RUNS; round++) {
    fns.forEach((fn, f) => {
      const t0 = performance.now();
      for (let i = 0; i < batches[f]; i++) fn();
      samples[f].push((performance.now() - t0) * 1e6 / batches[f]);
    });
  }
  return samples.map(median);
}

/** WBXML messages, and the same messages in XML: the XML tokenizer on them is the baseline. */
function wbxmlCase(name: string, messages: Uint8Array[], sameInXml: Uint8Array[]): void {
  const bytes = messages.reduce((sum, m) => sum + m.length, 0);
  const xmlBytes = sameInXml.reduce((sum, m) => sum + m.length, 0);
  const each = (list: Uint8Array[], f: (m: Uint8Array) => unknown) => () => {
    for (const m of list) f(m);
  };
  const impls: [string, () => void, number][] = [
    [
      "wasm tokenize",
      each(messages, (m) => wasm.wbxmlTokenizer.tokenize(m, LIMITS.maxDepth, LIMITS.maxElements)),
      bytes,
    ],
    [
      "ts tokenize",
      each(messages, (m) => ts.wbxmlTokenizer.tokenize(m, LIMITS.maxDepth, LIMITS.maxElements)),
      bytes,
    ],
    ["wasm tree", each(messages, (m) => wasm.parseWbxml(m, LIMITS)), bytes],
    ["ts tree", each(messages, (m) => ts.parseWbxml(m, LIMITS)), bytes],
    [
      "xml wasm tokenize (same messages)",
      each(sameInXml, (m) => wasm.tokenizer.tokenize(m, LIMITS.maxDepth, LIMITS.maxElements)),
      xmlBytes,
    ],
    ["xml wasm tree (same messages)", each(sameInXml, (m) => wasm.parseXml(m, LIMITS)), xmlBytes],
  ];
  progress(`wbxml ${name}: ${impls.map(([impl]) => impl).join(", ")}, in turns`);
  const times = timeInTurns(impls.map(([, fn]) => fn));
  impls.forEach(([impl, , size], i) => {
    rows.push({
      group: "wbxml",
      case: name,
      impl,
      ns: times[i] / messages.length,
      mbPerS: size / times[i] * 1e3,
    });
  });
}

const libwbxmlDir = new URL(
  "../../shared/fixtures/csp11-spec-examples/wbxml-libwbxml/",
  import.meta.url,
);
let specWbxml: { wbxml: Uint8Array; xml: Uint8Array }[] = [];
try {
  specWbxml = [...Deno.readDirSync(libwbxmlDir)].filter((e) => e.name.endsWith(".wbxml"))
    .map((e) => ({
      wbxml: Deno.readFileSync(new URL(e.name, libwbxmlDir)),
      xml: Deno.readFileSync(new URL(e.name.replace(/\.wbxml$/, ".xml"), specDir)),
    }));
} catch {
  console.error("NOTE: libwbxml's spec example encodings not found; that case is skipped");
}
if (specWbxml.length) {
  wbxmlCase(
    `${specWbxml.length} spec examples (libwbxml's encodings)`,
    specWbxml.map((s) => s.wbxml),
    specWbxml.map((s) => s.xml),
  );
}
const largeWbxml = encodeWbxmlTree(parseXmlFxp(large, LIMITS), "1.2");
wbxmlCase(
  `GetList-Response, 500 contacts (${(largeWbxml.length / 1024).toFixed(0)} KiB)`,
  [largeWbxml],
  [large],
);

// ---- HTTP heads ---------------------------------------------------------------------------

function headCase(name: string, stream: Uint8Array, messages: number): void {
  const impls: [string, () => void][] = [
    ["wasm", () => wasm.scanHeads(stream)],
    ["ts", () => ts.scanHeads(stream)],
    ["Headers object", () => headsWithHeadersObject(stream)],
  ];
  for (const [impl, fn] of impls) {
    progress(`heads ${name}: ${impl}`);
    const ns = time(fn);
    rows.push({
      group: "head",
      case: name,
      impl,
      ns: ns / messages,
      mbPerS: stream.length / ns * 1e3,
    });
  }
}

const single = sspRequestHead(0);
headCase("one SSP request", single, 1);
const pipelined = new Uint8Array(
  Array.from({ length: 16 }, (_, i) => [...sspRequestHead(i)]).flat(),
);
headCase("16 pipelined SSP requests", pipelined, 16);

// ---- correlation table --------------------------------------------------------------------

const SESSIONS = Array.from({ length: 1000 }, (_, i) =>
  `${i.toString(16).padStart(8, "0")}` +
  "97A4198EB0957A675DA469EF1G");
const encoder = new TextEncoder();
const SESSION_BYTES = SESSIONS.map((s) => encoder.encode(s));
const TX_LENGTH = 12;

/** Baraza-style transaction ids `%010d-%d`, as strings and as one flat byte array. */
function transactionIds(count: number): { strings: string[]; bytes: Uint8Array } {
  const strings = Array.from({ length: count }, (_, i) => `${String(i).padStart(10, "0")}-0`);
  const bytes = new Uint8Array(count * TX_LENGTH);
  strings.forEach((s, i) => encoder.encodeInto(s, bytes.subarray(i * TX_LENGTH)));
  return { strings, bytes };
}

interface Entry {
  slot: number;
  deadline: number;
}

function gc(): void {
  (globalThis as unknown as { gc?: () => void }).gc?.();
}

/**
 * Steady state at `size` entries: each step inserts one key, looks one up and removes the oldest
 * (three operations), over a key space of 2 × size ids.
 */
function tableCase(size: number): void {
  const keySpace = Math.max(2 * size, 2048);
  const ids = transactionIds(keySpace);
  const tx = new Uint8Array(TX_LENGTH);
  const txAt = (i: number) => {
    const from = i * TX_LENGTH;
    for (let b = 0; b < TX_LENGTH; b++) tx[b] = ids.bytes[from + b];
    return tx;
  };
  const session = (i: number) => SESSION_BYTES[i % SESSION_BYTES.length];
  const steps = Math.min(size, 200_000);

  for (
    const [impl, create] of [["wasm", () => wasm.createCorrelationTable()], [
      "ts",
      () => ts.createCorrelationTable(),
    ]] as [string, () => CorrelationTable][]
  ) {
    progress(`table ${size}: ${impl}`);
    const table = create();
    for (let i = 0; i < size; i++) table.insert(session(i), txAt(i), i, i);
    const bytesPerEntry = table.byteSize / size;
    let at = 0;
    const samples: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      const t0 = performance.now();
      for (let s = 0; s < steps; s++, at++) {
        const oldest = at % keySpace, next = (at + size) % keySpace;
        const probe = (at + (size >> 1)) % keySpace;
        table.insert(session(next), txAt(next), next, next);
        table.lookup(session(probe), txAt(probe));
        table.remove(session(oldest), txAt(oldest));
      }
      samples.push((performance.now() - t0) * 1e6 / (steps * 3));
    }
    table.free();
    const ns = median(samples);
    rows.push({
      group: "table",
      case: `${size} entries`,
      impl,
      ns,
      opsPerS: 1e9 / ns,
      bytesPerEntry,
    });
  }

  progress(`table ${size}: Map of objects`);
  const key = (i: number) => SESSIONS[i % SESSIONS.length] + "\u0000" + ids.strings[i];
  // Small maps are measured as several copies, so that heap noise does not swamp them.
  const copies = Math.ceil(200_000 / size);
  gc();
  const before = Deno.memoryUsage().heapUsed;
  const maps = Array.from({ length: copies }, () => {
    const m = new Map<string, Entry>();
    for (let i = 0; i < size; i++) m.set(key(i), { slot: i, deadline: i });
    return m;
  });
  gc();
  const bytesPerEntry = (Deno.memoryUsage().heapUsed - before) / (size * copies);
  const map = maps[0];
  maps.length = 0;
  let at = 0;
  const samples: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const t0 = performance.now();
    for (let s = 0; s < steps; s++, at++) {
      const oldest = at % keySpace, next = (at + size) % keySpace;
      const probe = (at + (size >> 1)) % keySpace;
      const k = key(next);
      if (!map.has(k)) map.set(k, { slot: next, deadline: next });
      map.get(key(probe));
      map.delete(key(oldest));
    }
    samples.push((performance.now() - t0) * 1e6 / (steps * 3));
  }
  const ns = median(samples);
  rows.push({
    group: "table",
    case: `${size} entries`,
    impl: "Map of objects",
    ns,
    opsPerS: 1e9 / ns,
    bytesPerEntry,
  });
  map.clear();
}

for (const size of [1_000, 100_000, 1_000_000]) tableCase(size);

// ---- report -------------------------------------------------------------------------------

const find = (group: string, c: string, impl: string) =>
  rows.find((r) => r.group === group && r.case === c && r.impl === impl)!;

function ratio(group: string, c: string, impl: string, base: string): number {
  return find(group, c, base).ns / find(group, c, impl).ns;
}

const fmt = (n: number | undefined, digits = 0) =>
  n === undefined ? "" : n.toLocaleString("en-US", { maximumFractionDigits: digits });

console.log("\n| group | case | implementation | ns/unit | MB/s | ops/s | bytes/entry |");
console.log("|---|---|---|---:|---:|---:|---:|");
for (const r of rows) {
  console.log(
    `| ${r.group} | ${r.case} | ${r.impl} | ${fmt(r.ns, 1)} | ${fmt(r.mbPerS, 1)} | ` +
      `${fmt(r.opsPerS)} | ${fmt(r.bytesPerEntry, 1)} |`,
  );
}

interface Target {
  what: string;
  measured: number;
  goal: number;
}
const targets: Target[] = [];
for (const c of new Set(rows.filter((r) => r.group === "xml").map((r) => r.case))) {
  targets.push(
    {
      what: `xml ${c}: wasm tokenize vs fast-xml-parser`,
      measured: ratio("xml", c, "wasm tokenize", "fast-xml-parser tree"),
      goal: 20,
    },
    {
      what: `xml ${c}: wasm tokenize vs ts tokenize`,
      measured: ratio("xml", c, "wasm tokenize", "ts tokenize"),
      goal: 2,
    },
  );
}
for (const c of new Set(rows.filter((r) => r.group === "wbxml").map((r) => r.case))) {
  targets.push(
    {
      what: `wbxml ${c}: wasm tokenize vs the XML tokenizer on the same messages`,
      measured: ratio("wbxml", c, "wasm tokenize", "xml wasm tokenize (same messages)"),
      goal: 1,
    },
    {
      what: `wbxml ${c}: wasm tokenize vs ts tokenize`,
      measured: ratio("wbxml", c, "wasm tokenize", "ts tokenize"),
      goal: 2,
    },
  );
}
for (const c of new Set(rows.filter((r) => r.group === "head").map((r) => r.case))) {
  targets.push({
    what: `head ${c}: wasm vs ts`,
    measured: ratio("head", c, "wasm", "ts"),
    goal: 2,
  });
}
const million = "1000000 entries";
targets.push(
  {
    what: "table 1M: wasm speed vs Map",
    measured: ratio("table", million, "wasm", "Map of objects"),
    goal: 1,
  },
  {
    what: "table 1M: Map memory / wasm memory",
    measured: find("table", million, "Map of objects").bytesPerEntry! /
      find("table", million, "wasm").bytesPerEntry!,
    goal: 4,
  },
);

console.log("\n| target | measured | goal | |");
console.log("|---|---:|---:|---|");
for (const t of targets) {
  const verdict = t.measured >= t.goal ? "met" : "MISSED";
  console.log(`| ${t.what} | ${t.measured.toFixed(2)}× | ≥ ${t.goal}× | ${verdict} |`);
}

await Deno.mkdir(new URL("../bench/", import.meta.url), { recursive: true });
await Deno.writeTextFile(
  new URL("../bench/results.json", import.meta.url),
  JSON.stringify(
    { deno: Deno.version.deno, runs: RUNS, date: new Date().toISOString(), rows, targets },
    null,
    2,
  ) + "\n",
);
console.error("wrote bench/results.json");
