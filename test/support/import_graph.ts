/**
 * The import graph of `src/`: every module and what it imports (type-only imports included: a
 * circle of types is still a circle a reader has to untangle), its cycles, and the edges the
 * layering forbids. `npx -y deno@2.9.6 run --allow-read test/support/import_graph.ts` prints
 * them; `test/unit/layout_test.ts` fails on any.
 */

const SRC = new URL("../../src/", import.meta.url);

/** Module paths relative to `src/`, each with the `src/` modules it imports. */
export type ImportGraph = Map<string, string[]>;

const IMPORT =
  /(?:^|\n)\s*(?:import|export)\s[^;]*?\sfrom\s+"([^"]+)"|(?:^|\n)\s*import\s+"([^"]+)"/g;

/** Reads every `.ts` file under `src/` (the generated WASM module included). */
export async function importGraph(root: URL = SRC): Promise<ImportGraph> {
  const graph: ImportGraph = new Map();
  for await (const path of walk(root, "")) {
    const text = await Deno.readTextFile(new URL(path, root));
    const targets: string[] = [];
    for (const match of text.matchAll(IMPORT)) {
      const specifier = match[1] ?? match[2];
      if (!specifier.startsWith(".")) continue;
      targets.push(resolve(path, specifier));
    }
    graph.set(path, [...new Set(targets)]);
  }
  return graph;
}

async function* walk(root: URL, dir: string): AsyncGenerator<string> {
  const entries = [];
  for await (const entry of Deno.readDir(new URL(dir || ".", root))) entries.push(entry);
  entries.sort((a, b) => a.name < b.name ? -1 : 1);
  for (const entry of entries) {
    const path = dir ? `${dir}/${entry.name}` : entry.name;
    if (entry.isDirectory) yield* walk(root, path);
    else if (entry.name.endsWith(".ts")) yield path;
  }
}

/** `specifier` as imported by `from`, relative to `src/`. */
function resolve(from: string, specifier: string): string {
  const parts = from.split("/").slice(0, -1);
  for (const part of specifier.split("/")) {
    if (part === "..") parts.pop();
    else if (part !== ".") parts.push(part);
  }
  return parts.join("/");
}

/** Every cycle, as the modules on it (each strongly connected component of more than one
 * module, or a module importing itself). */
export function cycles(graph: ImportGraph): string[][] {
  // Tarjan's algorithm.
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string) => {
    index.set(node, next);
    low.set(node, next++);
    stack.push(node);
    onStack.add(node);
    for (const target of graph.get(node) ?? []) {
      if (!graph.has(target)) continue;
      if (!index.has(target)) {
        visit(target);
        low.set(node, Math.min(low.get(node)!, low.get(target)!));
      } else if (onStack.has(target)) {
        low.set(node, Math.min(low.get(node)!, index.get(target)!));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1 || graph.get(node)!.includes(node)) found.push(component.sort());
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return found;
}

/**
 * The layer a module belongs to: its folder under `src/`, a service element's folder as
 * `services/<element>`, and the files at the top of `src/` and of `services/` as themselves.
 */
export function layerOf(path: string): string {
  const parts = path.split("/");
  if (path === "config.ts" || path === "version.ts") return "config";
  if (parts.length === 1) return "main";
  if (parts[0] === "services") return parts.length === 2 ? "services" : `services/${parts[1]}`;
  return parts[0];
}

/**
 * What each layer may import besides itself: dependencies point one way, from the wiring at the
 * top down to the codecs and utilities. A service element may use the layers below it and the
 * vocabulary in `services/shared`, never another element: what one element needs of another is
 * declared in its `hooks.ts` and filled in by `services/mod.ts`.
 */
const MAY_IMPORT: Record<string, readonly string[]> = {
  config: ["core", "util"],
  util: [],
  // The log, metrics and trace spans: every layer above the codecs reports through them.
  observe: ["util"],
  codec: ["util"],
  core: ["codec", "util"],
  store: ["observe", "util"],
  session: ["observe", "store", "codec", "util"],
  // CLP runs terminals' commands as a client would, through the session layer.
  clp: ["services/shared", "session", "observe", "store", "codec", "util"],
  // Transports keep their own state (CIR agreements, SMS numbers) and take user ids as the
  // elements do; the SMS gateway hands CLP terminals' text to CLP.
  transport: ["clp", "services/shared", "session", "observe", "store", "codec", "core", "util"],
  federation: ["transport", "observe", "store", "codec", "core", "util"],
  "services/shared": ["session", "observe", "store", "codec", "util"],
  element: [
    "services/shared",
    "federation",
    "session",
    "observe",
    "store",
    "codec",
    "core",
    "util",
  ],
  services: [
    "element",
    "services/shared",
    "federation",
    "session",
    "observe",
    "store",
    "codec",
    "util",
  ],
};

/**
 * Single modules a layer may import besides its layers. The store has none: it declares the shapes
 * it keeps (session records, queued primitives) itself, below the codecs.
 */
const MAY_ALSO_IMPORT: Record<string, readonly string[]> = {
  // Settings read in the terms of what they set: IMPS_SYSTEM_USER as a user id of the domain,
  // IMPS_DATA as a store name (shared or not), IMPS_LOG_LEVEL/FORMAT as the log's own values.
  config: ["services/shared/ids.ts", "store/kv.ts", "observe/log.ts"],
};

const ruleOf = (layer: string) =>
  layer.startsWith("services/") && layer !== "services/shared" ? "element" : layer;

/** Edges the layering forbids, as `from -> to`. */
export function forbiddenEdges(graph: ImportGraph): string[] {
  const out: string[] = [];
  for (const [from, targets] of graph) {
    const layer = layerOf(from);
    const allowed = MAY_IMPORT[ruleOf(layer)];
    if (!allowed) continue; // the top: main.ts, server.ts, ... wire everything
    for (const to of targets) {
      const target = layerOf(to);
      if (target === layer || target === "config") continue;
      if (allowed.includes(target) || allowed.includes(ruleOf(target))) continue;
      if (MAY_ALSO_IMPORT[layer]?.includes(to)) continue;
      out.push(`${from} -> ${to}`);
    }
  }
  return out;
}

/**
 * The modules of `src/` that keep an element's storage: those with a class that implements a
 * storage interface (`implements PresenceStorage`) declared in the element's `storage.ts`.
 */
export async function storageImplementations(root: URL = SRC): Promise<Set<string>> {
  const found = new Set<string>();
  for await (const path of walk(root, "")) {
    const text = await Deno.readTextFile(new URL(path, root));
    if (/^export class \w+ implements \w+Storage\b/m.test(text)) found.add(path);
  }
  return found;
}

/**
 * Imports that reach an element's storage other than through its declared interface: a storage
 * implementation is made by the element's `mod.ts` alone (its create function), and every other
 * module, of the element or not, depends on `storage.ts`.
 */
export function storageBypasses(graph: ImportGraph, implementations: Set<string>): string[] {
  const out: string[] = [];
  for (const [from, targets] of graph) {
    for (const to of targets) {
      if (!implementations.has(to)) continue;
      if (from === `${to.split("/").slice(0, 2).join("/")}/mod.ts`) continue;
      out.push(`${from} -> ${to}`);
    }
  }
  return out;
}

if (import.meta.main) {
  const graph = await importGraph();
  for (const cycle of cycles(graph)) console.log(`cycle: ${cycle.join(" ")}`);
  for (const edge of forbiddenEdges(graph)) console.log(`forbidden: ${edge}`);
  for (const edge of storageBypasses(graph, await storageImplementations())) {
    console.log(`storage bypassed: ${edge}`);
  }
}
