/**
 * Starts the IMPS server: `deno task start` (`--help` lists the settings, `--version` prints the
 * version). Every way start-up can fail ends in one line on stderr: `configuration error: …`
 * (exit 2) for a setting to fix, `cannot …: …` (exit 1) for the rest.
 */
import { type Config, ConfigError, envExample, helpText, loadConfig } from "./config.ts";
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
import { log } from "./observe/log.ts";
import type { GaugeReading } from "./observe/metrics.ts";
import type { ConnectionGate } from "./transport/connection_gate.ts";
import { tracing } from "./observe/tracing.ts";
import { describeKey } from "./store/server_key.ts";
import { PRODUCT, VERSION } from "./version.ts";

/** Longest a stop may take (requests in progress, pending commits) before the process exits. */
const STOP_TIMEOUT_MS = 10_000;

async function start(args: string[]): Promise<void> {
  if (args.includes("--help") || args.includes("-h")) {
    console.log(helpText());
    return;
  }
  if (args.includes("--env-example")) {
    console.log(envExample().trimEnd());
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
  const env = Deno.env.toObject();
  // Lines before the settings are checked follow them where they are valid already.
  log.configure({
    format: env.IMPS_LOG_FORMAT?.trim().toLowerCase() === "json" ? "json" : "text",
    batched: !tracing,
    accessTo: Deno.stdout,
  });
  const config = loadConfig(env);
  log.configure({ level: config.logLevel, format: config.logFormat });
  for (const warning of startupWarnings(config)) log.warn(warning);
  const tls = await readTls(config);
  const listed = await readUsersFile(config);
  const core = await loadCore(config.core);
  const server = await openServer(config, core, listed);
  log.info(describeKey(server.key));
  if (server.key.warning) log.warn(server.key.warning);
  log.notice(`CIR: ${server.cir?.summary ?? "off, clients poll (IMPS_CIR_* settings turn it on)"}`);
  let http: Listening;
  try {
    http = listen(config, tls, server, (url) => {
      log.notice(`${PRODUCT} ${VERSION} for ${config.domain} on ${url}`, summary(config, server));
    });
  } catch (error) {
    await server.close();
    throw error;
  }
  if (http.gate) connectionMetrics(server, http.gate);
  stopOnSignals(http, server);
}

/** The connections of the HTTP listener (CSP, SSP, content, admin and the CIR routes share it),
 * of the STCP CIR listener and, among the HTTP listener's, the WebSocket CIR ones in the metrics.
 * Each is read from its channel at scrape time. */
function connectionMetrics(server: ImpsServer, gate: ConnectionGate): void {
  const { metrics } = server.context;
  const stcp = server.cir?.stcp;
  const websocket = server.cir?.websocket;
  metrics.gauge("imps_connections", "Connections held by a listener", ["listener"], () => {
    const held: GaugeReading = [[{ listener: "http" }, gate.open]];
    if (stcp) held.push([{ listener: "stcp" }, stcp.connections]);
    if (websocket) held.push([{ listener: "websocket" }, websocket.connections]);
    return held;
  });
  metrics.counter(
    "imps_connections_refused_total",
    "Connections closed at once: over the total bound or over one address's share",
    ["listener", "bound"],
    () => {
      const refused: GaugeReading = [];
      for (
        const [listener, counts] of [
          ["http", gate.refusedSoFar],
          ["stcp", stcp?.refused],
          ["websocket", websocket?.refused],
        ] as const
      ) {
        if (!counts) continue;
        refused.push([{ listener, bound: "total" }, counts.total]);
        refused.push([{ listener, bound: "address" }, counts.address]);
      }
      return refused;
    },
  );
}

/** What the start-up line says besides the address: where things are and what is on. */
function summary(config: Config, server: ImpsServer) {
  const peers = Object.keys(config.sspPeers);
  return {
    store: config.dataPath,
    // Shared mode: the id this instance has in the store (its inbox, relay leases, SSP ids).
    ...(server.context.instances ? { instance: server.context.instances.id } : {}),
    core: config.core,
    cir: server.cir ? server.cir.methods.join(",") : "off",
    federation: config.federation
      ? (peers.length > 0 ? `on (peers ${peers.join(",")}; others by DNS SRV)` : "on (DNS SRV)")
      : "off",
    admin: config.adminToken ? "/metrics and /admin/ (bearer token)" : "off (no IMPS_ADMIN_TOKEN)",
    tracing: tracing ? "OpenTelemetry (OTEL_DENO)" : "off",
    log: `${config.logLevel} ${config.logFormat}`,
  };
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
    log.notice(`stopping (${why}): finishing requests in progress`);
    const timer = setTimeout(() => {
      log.error(`cannot stop cleanly within ${STOP_TIMEOUT_MS / 1000} s: exiting`);
      Deno.exit(1);
    }, STOP_TIMEOUT_MS);
    try {
      // Held SHTTP GETs would keep the HTTP server from stopping: they are answered first, and
      // the CIR connections closed (phones say HELO again to the next server).
      await server.cir?.close();
      await http.shutdown();
      await server.close();
    } catch (error) {
      log.error(`cannot stop cleanly: ${(error as Error).message}`);
      Deno.exit(1);
    }
    clearTimeout(timer);
    log.notice("stopped");
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
  log.error(line);
  Deno.exit(code);
}
