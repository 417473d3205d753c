/**
 * The server as Deno Deploy runs it, and as `deno serve` runs it anywhere (`deno task serve`):
 * a module whose default export answers requests (`export default { fetch }`), with no listener,
 * signal handler or file of its own. The settings come from the environment as for
 * `deno task start` (see `loadConfig`'s `deploy` host): the store is the platform's
 * (`Deno.openKv()`) unless IMPS_DATA names another (`:memory:`, a KV Connect URL, or a KV file
 * where the host has a file system), always in shared mode, as every isolate is one instance of
 * several; IMPS_SECRET is required.
 *
 * The background work runs on `Deno.cron` once a minute (Deploy has it; `deno serve` with
 * `--unstable-cron`), else on requests (see `deployment.ts`): nothing needs a timer in an idle
 * isolate.
 */
import { openDeployment, SWEEP_EVERY_MS } from "./deployment.ts";

// `deno task serve --port 8092` hands `--port 8092` to this module, not to deno serve, which
// would listen on its default port: refused, with where the address goes.
if (Deno.args.length > 0) {
  throw new Error(
    `configuration error: "${Deno.args.join(" ")}" reaches the entry, not deno serve: give the ` +
      "address as DENO_SERVE_ADDRESS=tcp:127.0.0.1:8092 (or deno serve's own flags before the " +
      "module)",
  );
}
const cron = typeof Deno.cron === "function";
const deployment = await openDeployment(Deno.env.toObject(), {
  sweeps: cron ? "cron" : "request",
});
const stopCron = new AbortController();
if (cron) {
  Deno.cron(
    "imps background work",
    { minute: { every: SWEEP_EVERY_MS / 60_000 } },
    { signal: stopCron.signal },
    deployment.sweep,
  );
}
// deno serve stops on SIGINT or SIGTERM once nothing is left to run, and the cron job and the
// federation's timers never end by themselves: they stop on those signals, and the store closes
// once the requests in progress are answered. A host without signals stops isolates itself.
let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  try {
    Deno.addSignalListener(signal, () => {
      if (stopping) return;
      stopping = true;
      stopCron.abort();
      deployment.close().catch((error) => console.error("cannot stop cleanly:", error));
    });
  } catch {
    // No signals on this host.
  }
}

export default { fetch: deployment.fetch } satisfies Deno.ServeDefaultExport;
