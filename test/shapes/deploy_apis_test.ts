/**
 * The modules the Deploy entry loads use only what Deno Deploy offers: no listening sockets (the
 * host listens; UDP and STCP CIR cannot be served), no child processes, no native code, no
 * file-system writes, no exit. The module graph is deno's own (`deno info --json`); code the
 * entry reaches only by a dynamic import is listed below with what makes it unreachable there.
 */
import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url);
const ENTRY = "src/deploy.ts";

/** What Deno Deploy lacks, as it would be called. */
const MISSING = [
  { api: /\bDeno\.(listen|listenTls|listenDatagram)\b/, why: "the host listens" },
  {
    api: /\b(net|tls|http|https|http2)\.createServer\b|["']node:dgram["']/,
    why: "the host listens; no UDP",
  },
  { api: /\bDeno\.serve\b/, why: "the host serves the default export" },
  { api: /\bDeno\.(Command|run|kill)\b|["']node:child_process["']/, why: "no child processes" },
  { api: /\bDeno\.dlopen\b/, why: "no native code" },
  { api: /\bDeno\.exit\b/, why: "an isolate does not end itself" },
  {
    api:
      /\bDeno\.(writeFile|writeTextFile|mkdir|makeTempDir|remove|rename|create|open|chmod|chown|symlink|link|truncate|utime)(Sync)?\b/,
    why: "the file system is read-only",
  },
  { api: /\bDeno\.addSignalListener\b/, why: "no signals" },
];

/** Calls that are there on purpose, each guarded where Deploy lacks the API. */
const ALLOWED: Record<string, RegExp[]> = {
  // Stops the cron under deno serve; wrapped in try for hosts without signals.
  [ENTRY]: [/\bDeno\.addSignalListener\b/],
};

/** Modules the entry imports only dynamically, and why Deploy never loads them. */
const DYNAMIC: Record<string, string> = {
  "src/store/kv_file.ts": "loaded only when IMPS_DATA names a KV file",
  "src/store/server_key_file.ts":
    "loaded only without IMPS_SECRET, which the deploy entry requires",
  "src/transport/cir/stcp.ts": "loaded only with IMPS_CIR_TCP_PORT, which the deploy entry refuses",
  "src/transport/cir/datagram.ts":
    "loaded only with IMPS_CIR_UDP=true, which the deploy entry refuses",
};

/** The code of a module without its comments (doc comments name APIs to explain them). */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|\s)\/\/.*$/gm, "$1");
}

/** What `text` (a module at `path`) calls that Deploy lacks. */
function missingIn(path: string, text: string): string[] {
  const found = [];
  for (const { api, why } of MISSING) {
    const match = code(text).match(api);
    if (match && !(ALLOWED[path] ?? []).some((allowed) => allowed.test(match[0]))) {
      found.push(`${path}: ${match[0]} (${why})`);
    }
  }
  return found;
}

interface InfoModule {
  specifier: string;
  dependencies?: { specifier: string; code?: { specifier?: string }; isDynamic?: boolean }[];
}

/** The project's modules the entry loads by static imports, and those it imports dynamically. */
async function entryGraph(): Promise<{ loaded: string[]; dynamic: string[] }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", ENTRY],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as { modules: InfoModule[] };
  const local = (specifier: string) =>
    specifier.startsWith(ROOT.href) ? specifier.slice(ROOT.href.length) : undefined;
  const bySpecifier = new Map(info.modules.map((m) => [m.specifier, m]));
  const loaded = new Set<string>();
  const dynamic = new Set<string>();
  const walk = (specifier: string) => {
    const path = local(specifier);
    if (path === undefined || loaded.has(path)) return;
    loaded.add(path);
    for (const dep of bySpecifier.get(specifier)?.dependencies ?? []) {
      const target = dep.code?.specifier;
      if (!target) continue;
      if (dep.isDynamic) dynamic.add(local(target) ?? target);
      else walk(target);
    }
  };
  walk(new URL(ENTRY, ROOT).href);
  return { loaded: [...loaded], dynamic: [...dynamic].filter((d) => !loaded.has(d)) };
}

Deno.test("the check finds what Deploy lacks in code, not in comments", () => {
  assert.deepEqual(missingIn("x.ts", "// Deno.listen is the host's\nconst a = 1;"), []);
  assert.deepEqual(missingIn("x.ts", "/** Deno.exit() */\nDeno.listenDatagram({ port: 1 });"), [
    "x.ts: Deno.listenDatagram (the host listens)",
  ]);
  assert.deepEqual(missingIn("x.ts", 'import dgram from "node:dgram";'), [
    'x.ts: "node:dgram" (the host listens; no UDP)',
  ]);
  assert.deepEqual(missingIn("x.ts", "await Deno.writeTextFile(p, t);"), [
    "x.ts: Deno.writeTextFile (the file system is read-only)",
  ]);
});

Deno.test("every module the Deploy entry loads uses only what Deno Deploy offers", async () => {
  const { loaded, dynamic } = await entryGraph();
  assert.ok(loaded.includes("src/server.ts") && loaded.length > 50, "the graph was read");
  const found = [];
  for (const path of loaded) {
    found.push(...missingIn(path, await Deno.readTextFile(new URL(path, ROOT))));
  }
  assert.deepEqual(found, []);
  assert.deepEqual(
    dynamic.sort(),
    Object.keys(DYNAMIC).sort(),
    "modules the entry imports dynamically: each must say why Deploy never loads it",
  );
});
