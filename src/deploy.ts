/**
 * The server as Deno Deploy runs it, and as `deno serve` runs it anywhere (`deno task serve`):
 * a module whose default export answers requests (`export default { fetch }`), with no listener,
 * signal handler or file of its own. The settings come from the environment as for
 * `deno task start` (see `loadConfig`'s `deploy` host): the store is the platform's
 * (`Deno.openKv()`) unless IMPS_DATA names another (`:memory:`, a KV Connect URL, or a KV file
 * where the host has a file system), always in shared mode, as every isolate is one instance of
 * several; IMPS_SECRET is required.
 *
 * Nothing here needs a timer in an idle isolate: what the server does in the background (expired
 * sessions ended and their users set offline, unfinished ends, removed accounts) runs on
 * `Deno.cron` once a minute, and a request on an expired session ends it at once.
 */
import { ConfigError, loadConfig } from "./config.ts";
import { loadCore } from "./core/mod.ts";
import { createServer } from "./server.ts";
import { StoreDomainMismatch } from "./store/domain.ts";
import { ServerKeyError } from "./store/server_key.ts";
import { PRODUCT, VERSION } from "./version.ts";

/** The background work's schedule: Deno.cron's finest. */
const SWEEP_SCHEDULE = "* * * * *";

async function open() {
  const config = loadConfig(Deno.env.toObject(), "deploy");
  if (typeof Deno.cron !== "function") {
    throw new ConfigError(
      "Deno.cron is missing: run the deploy entry with --unstable-cron (deno task serve does)",
    );
  }
  const core = await loadCore(config.core);
  const server = await createServer(config, {
    parseXml: core.parseXml,
    parseWbxml: core.parseWbxml,
    sweepIntervalMs: 0,
  });
  console.log(
    `${PRODUCT} ${VERSION} for ${config.domain} (deploy entry, store ${config.dataPath}, ` +
      `core ${config.core})`,
  );
  return server;
}

let server: Awaited<ReturnType<typeof open>>;
try {
  server = await open();
} catch (error) {
  // One line that says what to fix, as `deno task start` prints it.
  const reason = error instanceof Error ? error.message : String(error);
  const toFix = error instanceof ConfigError || error instanceof StoreDomainMismatch ||
    error instanceof ServerKeyError;
  throw new Error(toFix ? `configuration error: ${reason}` : `cannot start: ${reason}`);
}

Deno.cron("imps background work", SWEEP_SCHEDULE, () => server.sweep());

export default {
  fetch: (request: Request, info: Deno.ServeHandlerInfo) => server.app.fetch(request, info),
} satisfies Deno.ServeDefaultExport;
