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

const cron = typeof Deno.cron === "function";
const deployment = await openDeployment(Deno.env.toObject(), {
  sweeps: cron ? "cron" : "request",
});
if (cron) {
  // deno serve stops on SIGINT or SIGTERM once nothing is left to run, and a cron job never
  // ends by itself: it is stopped on those signals (a host without signals stops isolates itself).
  const stop = new AbortController();
  Deno.cron(
    "imps background work",
    { minute: { every: SWEEP_EVERY_MS / 60_000 } },
    { signal: stop.signal },
    deployment.sweep,
  );
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    try {
      Deno.addSignalListener(signal, () => stop.abort());
    } catch {
      // No signals on this host.
    }
  }
}

export default { fetch: deployment.fetch } satisfies Deno.ServeDefaultExport;
