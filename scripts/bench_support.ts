/** What the benchmark scripts share: their numeric options, and serving the app as main.ts does. */
import type { ImpsServer } from "../src/server.ts";
import type { Config } from "../src/config.ts";
import { listenerBounds } from "../src/startup.ts";
import { type GuardedHttpServer, serveGuarded } from "../src/transport/http_listener.ts";

/** The number after `--<name>` on the command line, else `fallback`. */
export function option(name: string, fallback: number): number {
  const i = Deno.args.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(Deno.args[i + 1]);
}

/**
 * Serves the app on a loopback port as main.ts serves it, through the guarded listener (long
 * polls and WebSockets through its relay); with `--direct`, by Deno.serve alone.
 */
export function serveForBench(
  config: Config,
  server: ImpsServer,
): Deno.HttpServer<Deno.NetAddr> | GuardedHttpServer {
  return Deno.args.includes("--direct")
    ? Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, server.app.fetch)
    : serveGuarded(
      { hostname: "127.0.0.1", port: 0, ...listenerBounds(config, server) },
      server.app.fetch,
    );
}
