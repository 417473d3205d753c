/**
 * The layout holds: no import circles in `src/`, dependencies point one way (codecs and the store
 * at the bottom, transports below the service elements, the wiring at the top), and a service
 * element reaches another only through the hooks `services/mod.ts` fills in, never by importing
 * it. Elements keep no per-server state at module level: each is made per server. Each element
 * declares its storage in `storage.ts`; its handlers depend on that interface, and only its
 * `mod.ts` makes the KV implementation.
 */
import assert from "node:assert/strict";
import {
  cycles,
  forbiddenEdges,
  type ImportGraph,
  importGraph,
  storageBypasses,
  storageImplementations,
} from "../support/import_graph.ts";

const graph = await importGraph();
const implementations = await storageImplementations();

Deno.test("no module of src/ imports itself back, directly or around a circle", () => {
  assert.deepEqual(cycles(graph), []);
});

Deno.test("every import follows the layering, and no element imports another", () => {
  assert.deepEqual(forbiddenEdges(graph), []);
});

Deno.test("the checks catch a circle, an element importing another, an import upwards, and the store importing a codec", () => {
  const bad: ImportGraph = new Map([
    ["services/im/delivery.ts", ["services/im/presentation.ts"]],
    ["services/im/presentation.ts", ["services/im/delivery.ts"]],
    ["services/presence/authorization.ts", ["services/im/storage.ts", "services/shared/ids.ts"]],
    ["codec/ssp/mod.ts", ["services/shared/outcomes.ts"]],
    ["transport/http.ts", ["services/im/mod.ts", "session/dispatcher.ts"]],
    ["store/sessions.ts", ["session/handler.ts"]],
    ["store/outbox.ts", ["codec/csp/message.ts", "store/kv.ts", "util/ids.ts"]],
    ["services/mod.ts", ["services/im/mod.ts", "services/presence/mod.ts"]],
  ]);
  assert.deepEqual(cycles(bad), [["services/im/delivery.ts", "services/im/presentation.ts"]]);
  assert.deepEqual(forbiddenEdges(bad), [
    "services/presence/authorization.ts -> services/im/storage.ts",
    "codec/ssp/mod.ts -> services/shared/outcomes.ts",
    "transport/http.ts -> services/im/mod.ts",
    "store/sessions.ts -> session/handler.ts",
    "store/outbox.ts -> codec/csp/message.ts",
  ]);
});

Deno.test("each element declares its storage, and only its mod.ts touches the implementation", () => {
  const elements = new Set(
    [...graph.keys()].filter((p) => p.startsWith("services/") && p.split("/").length === 3)
      .map((p) => p.split("/")[1]).filter((e) => e !== "shared"),
  );
  assert.deepEqual(
    [...elements].filter((e) => !graph.has(`services/${e}/storage.ts`)),
    [],
    "every element has a storage.ts",
  );
  assert.ok(implementations.has("services/presence/repo.ts"));
  assert.deepEqual(storageBypasses(graph, implementations), []);
});

Deno.test("the storage check catches a handler or another element reaching an implementation", () => {
  const bad: ImportGraph = new Map([
    ["services/im/mod.ts", ["services/im/mailbox.ts", "services/im/storage.ts"]],
    ["services/im/get_message.ts", ["services/im/mailbox.ts"]],
    ["services/im/send_message.ts", ["services/im/storage.ts"]],
    ["services/presence/authorization.ts", ["services/im/blocking.ts"]],
    ["services/presence/mod.ts", ["services/im/mailbox.ts"]],
  ]);
  const impls = new Set(["services/im/mailbox.ts", "services/im/blocking.ts"]);
  assert.deepEqual(storageBypasses(bad, impls), [
    "services/im/get_message.ts -> services/im/mailbox.ts",
    "services/presence/authorization.ts -> services/im/blocking.ts",
    "services/presence/mod.ts -> services/im/mailbox.ts",
  ]);
});

Deno.test("service elements keep no mutable state at module level", async () => {
  const found: string[] = [];
  for (const path of graph.keys()) {
    if (!path.startsWith("services/")) continue;
    const text = await Deno.readTextFile(new URL(`../../src/${path}`, import.meta.url));
    for (const [i, line] of text.split("\n").entries()) {
      if (/^(export )?let /.test(line) || /^(export )?const \w+ = new WeakMap/.test(line)) {
        found.push(`${path}:${i + 1}: ${line}`);
      }
    }
  }
  assert.deepEqual(found, []);
});
