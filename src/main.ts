/**
 * Starts the IMPS server: `deno task start` (`--help` lists the settings, `--version` prints the
 * version). Every way start-up can fail ends in one line on stderr: `configuration error: …`
 * (exit 2) for a setting to fix, `cannot …: …` (exit 1) for the rest.
 */
import { ConfigError, helpText, loadConfig } from "./config.ts";
import { loadCore } from "./core/mod.ts";
import type { ImpsServer } from "./server.ts";
import {
  describeFailure,
  listen,
  type Listening,
  openServer,
  readTls,
  readUsersFile,
  startupWarnings,
} from "./startup.ts";
import { describeKey } from "./store/server_key.ts";
import { PRODUCT, VERSION } from "./version.ts";

/** Longest a stop may take (requests in progress, pending commits) before the process exits. */
const STOP_TIMEOUT_MS = 10_000;

async function start(args: string[]): Promise<void> {
  if (args.includes("--help") || args.includes("-h")) {
    console.log(helpText());
    return;
  }
  if (args.includes("--version") || args.includes("-V")) {
    console.log(`${PRODUCT} ${VERSION}`);
    return;
  }
  if (args.length > 0) {
    throw new ConfigError(
      `unknown argument "${args[0]}": settings come from the environment (--help lists them)`,
    );
  }
  const config = loadConfig(Deno.env.toObject());
  for (const warning of startupWarnings(config)) console.warn(`warning: ${warning}`);
  const tls = await readTls(config);
  const listed = await readUsersFile(config);
  const core = await loadCore(config.core);
  const server = await openServer(config, core, listed);
  console.log(describeKey(server.key));
  if (server.key.warning) console.warn(`warning: ${server.key.warning}`);
  console.log(
    `CIR: ${server.cir?.summary ?? "off, clients poll (IMPS_CIR_* settings turn it on)"}`,
  );
  let http: Listening;
  try {
    http = listen(config, tls, server, (url) =>
      console.log(
        `${PRODUCT} ${VERSION} for ${config.domain} on ${url} ` +
          `(store ${config.dataPath}, core ${config.core})`,
      ));
  } catch (error) {
    await server.close();
    throw error;
  }
  stopOnSignals(http, server);
}

/**
 * Stops cleanly on SIGINT or SIGTERM. A repeated signal changes nothing: Ctrl-C and service
 * managers signal deno task too, which passes the signal on, so one stop often arrives twice;
 * the timeout bounds how long the stop may take.
 */
function stopOnSignals(http: Listening, server: ImpsServer): void {
  let stopping = false;
  const stop = async (why: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`stopping (${why}): finishing requests in progress`);
    const timer = setTimeout(() => {
      console.error(`cannot stop cleanly within ${STOP_TIMEOUT_MS / 1000} s: exiting`);
      Deno.exit(1);
    }, STOP_TIMEOUT_MS);
    try {
      // Held SHTTP GETs would keep the HTTP server from stopping: they are answered first, and
      // the CIR connections closed (phones say HELO again to the next server).
      await server.cir?.close();
      await http.shutdown();
      await server.close();
    } catch (error) {
      console.error(`cannot stop cleanly: ${(error as Error).message}`);
      Deno.exit(1);
    }
    clearTimeout(timer);
    console.log("stopped");
    Deno.exit(0);
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, () => stop(signal));
  }
}

try {
  await start(Deno.args);
} catch (error) {
  const { line, code } = describeFailure(error);
  console.error(line);
  Deno.exit(code);
}
