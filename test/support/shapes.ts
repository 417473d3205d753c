/**
 * The shapes the server runs in, for the conversation suites to run against each
 * (`CSP_TEST_SHAPE`): `one`, the default, is one server in the test's own process; `shared` is
 * two server processes (`src/main.ts`, IMPS_SHARED=true) on one KV file; `deploy` is the Deno
 * Deploy entry (`src/deploy.ts`) under `deno serve` with only the permissions Deploy grants, in
 * two workers (`--parallel`) on one KV file. The shared shapes sit behind a round-robin proxy, so
 * that a client's consecutive requests reach different instances.
 */
import assert from "node:assert/strict";
import { type ServerProcess, serverStarted, spawnServer } from "./process.ts";
import { roundRobin } from "./round_robin.ts";

export type Shape = "one" | "shared" | "deploy";

/** The shape the suites run against: `CSP_TEST_SHAPE`, `one` unless set. */
export function testShape(): Shape {
  const shape = Deno.env.get("CSP_TEST_SHAPE") ?? "one";
  if (shape !== "one" && shape !== "shared" && shape !== "deploy") {
    throw new Error(`CSP_TEST_SHAPE must be one, shared or deploy, got "${shape}"`);
  }
  return shape;
}

export interface Instances extends AsyncDisposable {
  /** Where clients go: the proxy's base URL. */
  url: string;
  /** The server processes behind it. */
  processes: ServerProcess[];
  close(): Promise<void>;
}

const ROOT = new URL("../../", import.meta.url);

/** What Deno Deploy grants a deployment, as `deno task serve` runs the entry: no run, no ffi,
 * no writes but the store (here the directory of the test's KV file). */
export function deployPermissions(storeDir?: string): string[] {
  return [
    "--allow-net",
    "--allow-env",
    "--allow-read",
    ...(storeDir ? [`--allow-write=${storeDir}`] : []),
    "--unstable-kv",
    "--unstable-cron",
  ];
}

/** Starts `src/deploy.ts` under `deno serve` (`workers` > 1: `--parallel`) on a free port. */
export async function serveDeployEntry(
  env: Record<string, string>,
  workers = 1,
): Promise<ServerProcess> {
  const data = env.IMPS_DATA;
  const storeDir = data && data.includes("/") ? data.replace(/\/[^/]*$/, "") : undefined;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "serve",
      ...deployPermissions(storeDir),
      ...(workers > 1 ? ["--parallel"] : []),
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "src/deploy.ts",
    ],
    env: { NO_COLOR: "1", ...(workers > 1 ? { DENO_JOBS: String(workers) } : {}), ...env },
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // deno serve names where it listens once the entry is loaded.
  const started = await serverStarted(child, /Listening on (https?:\/\/\S+?)\/?\s/);
  return {
    ...started,
    // A stop that has not ended the process in STOP_WAIT_MS ends it with SIGKILL, so that a
    // stop that hangs fails its test (deploy_stop_test.ts) rather than holding the run.
    async stop(signal = "SIGTERM") {
      const timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch {
          // Ended meanwhile.
        }
      }, STOP_WAIT_MS);
      try {
        await started.stop(signal);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** How long a deploy entry's process may take to end after SIGTERM. */
const STOP_WAIT_MS = 10_000;

/**
 * Starts the instances of `shape` on the store `env` names (a KV file) behind a round-robin
 * proxy: two `src/main.ts` processes in shared mode, or the Deploy entry in two workers.
 */
export async function startInstances(
  shape: Exclude<Shape, "one">,
  env: Record<string, string>,
  /** Where the proxy listens (default: a free port). */
  port = 0,
): Promise<Instances> {
  const processes = shape === "shared"
    ? await Promise.all([0, 1].map(() => spawnServer({ ...env, IMPS_SHARED: "true" })))
    : [await serveDeployEntry(env, 2)];
  // One deno serve process with two workers: the proxy's turns alternate between connections,
  // which its workers take in turn.
  const targets = shape === "shared" ? processes.map((p) => p.url) : [processes[0].url];
  const proxy = roundRobin(targets, port);
  const close = async () => {
    await proxy.close();
    await Promise.all(processes.map((p) => p.stop()));
  };
  return { url: proxy.url, processes, close, [Symbol.asyncDispose]: close };
}

/** How long the suites of one shape may run, ms (about 3 minutes on a loaded 2-core machine). */
const SUITES_TIMEOUT_MS = 12 * 60_000;

/**
 * Runs the test files `suites` in a `deno test` of their own against `shape` (only the tests
 * whose names contain `filter`, where given); fails unless all pass and at least `least` ran.
 */
export async function runSuites(
  shape: string,
  suites: string[],
  least: number,
  filter?: string,
): Promise<void> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["test", "--allow-all", ...(filter ? ["--filter", filter] : []), ...suites],
    cwd: ROOT,
    env: { CSP_TEST_SHAPE: shape, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
    // A suite that hangs fails here rather than holding the whole run.
    signal: AbortSignal.timeout(SUITES_TIMEOUT_MS),
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  const summary = text.match(/(ok|FAILED) \| (\d+) passed(?: \(\d+ steps?\))? \| (\d+) failed/);
  assert.ok(out.success && summary, `${shape} shape:\n${text.slice(-6000)}`);
  assert.equal(Number(summary[3]), 0);
  assert.ok(Number(summary[2]) >= least, `${shape} shape ran its suites: ${summary[0]}`);
}
