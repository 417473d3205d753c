/** Starts the IMPS server: `deno task start` (`--help` lists the settings). */
import { ConfigError, helpText, loadConfig } from "./config.ts";
import { loadCore } from "./core/mod.ts";
import { createServer } from "./server.ts";
import { describeKey, ServerKeyError } from "./store/server_key.ts";

if (Deno.args.includes("--help") || Deno.args.includes("-h")) {
  console.log(helpText());
  Deno.exit(0);
}

let config;
try {
  config = loadConfig(Deno.env.toObject());
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`configuration error: ${error.message}\n\n${helpText()}`);
    Deno.exit(2);
  }
  throw error;
}

async function readPem(setting: string, path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    console.error(
      `configuration error: ${setting}: cannot read ${path}: ${(error as Error).message}`,
    );
    Deno.exit(2);
  }
}

const core = await loadCore(config.core);
let server;
try {
  server = await createServer(config, { parseXml: core.parseXml });
} catch (error) {
  if (!(error instanceof ServerKeyError)) throw error;
  console.error(`configuration error: ${error.message}`);
  Deno.exit(2);
}
console.log(describeKey(server.key));
if (server.key.warning) console.warn(`warning: ${server.key.warning}`);
const tls = config.tlsCert && config.tlsKey
  ? {
    cert: await readPem("IMPS_TLS_CERT", config.tlsCert),
    key: await readPem("IMPS_TLS_KEY", config.tlsKey),
  }
  : {};
let http: Deno.HttpServer;
try {
  http = Deno.serve({
    hostname: config.host,
    port: config.port,
    ...tls,
    onListen({ hostname, port }) {
      const scheme = config.tlsCert ? "https" : "http";
      console.log(
        `IMPS server for ${config.domain} on ${scheme}://${hostname}:${port}/csp ` +
          `(store ${config.dataPath}, core ${config.core})`,
      );
    },
  }, server.app.fetch);
} catch (error) {
  if (!(error instanceof Deno.errors.AddrInUse || error instanceof Deno.errors.PermissionDenied)) {
    throw error;
  }
  console.error(`cannot listen on ${config.host}:${config.port}: ${error.message}`);
  await server.close();
  Deno.exit(1);
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, async () => {
    await http.shutdown();
    await server.close();
    Deno.exit(0);
  });
}
