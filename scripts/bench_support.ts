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

/** The lines of a byte stream (a child process's stdout, stdin), without their newlines. */
export async function* readLines(stream: ReadableStream<Uint8Array>): AsyncIterable<string> {
  let buffered = "";
  for await (const text of stream.pipeThrough(new TextDecoderStream())) {
    buffered += text;
    for (let end = buffered.indexOf("\n"); end !== -1; end = buffered.indexOf("\n")) {
      yield buffered.slice(0, end);
      buffered = buffered.slice(end + 1);
    }
  }
}

/** POSTs one CSP 1.2 XML request transaction to `${url}/csp`, in `session` or outband; the answer's text. */
export async function postCsp(
  url: string,
  session: string | undefined,
  body: string,
  tid = "t",
): Promise<string> {
  const descriptor = session
    ? `<SessionType>Inband</SessionType><SessionID>${session}</SessionID>`
    : "<SessionType>Outband</SessionType>";
  const res = await fetch(`${url}/csp`, {
    method: "POST",
    headers: { "content-type": "application/vnd.wv.csp.xml" },
    body: `<WV-CSP-Message xmlns="http://www.openmobilealliance.org/DTD/WV-CSP1.2"><Session>` +
      `<SessionDescriptor>${descriptor}</SessionDescriptor><Transaction>` +
      `<TransactionDescriptor><TransactionMode>Request</TransactionMode><TransactionID>${tid}` +
      `</TransactionID></TransactionDescriptor><TransactionContent xmlns="http://www.` +
      `openmobilealliance.org/DTD/WV-TRC1.2">${body}</TransactionContent></Transaction>` +
      `</Session></WV-CSP-Message>`,
  });
  return await res.text();
}
