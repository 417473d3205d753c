/**
 * The steps of starting the server that touch the machine (files, the store, the listening
 * socket), each failing with one line that says what could not be done and why: an operator reads
 * `cannot open the store ./data/imps.kv: …`, never a stack trace. `main.ts` runs them in order.
 */
import type { ConnectionGate } from "./transport/connection_gate.ts";
import {
  connectionsForFileLimit,
  type GuardedHttpOptions,
  serveGuarded,
} from "./transport/http_listener.ts";
import { AccountError, createListedUsers, type ListedUser, parseUsersFile } from "./accounts.ts";
import { type Config, ConfigError } from "./config.ts";
import type { Core } from "./core/mod.ts";
import { createServer, type ImpsServer } from "./server.ts";
import { CirListenError } from "./transport/cir/mod.ts";
import { StoreDomainMismatch } from "./store/domain.ts";
import { StoreInUse } from "./store/lock.ts";
import { ServerKeyError } from "./store/server_key.ts";
import { log } from "./observe/log.ts";

/** A start-up step failed; the message is the whole line shown (`cannot …: reason`). */
export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StartupError";
  }
}

const reason = (error: unknown) => error instanceof Error ? error.message : String(error);

/** The line and exit code for a failed start: 2 for a setting to fix, 1 for anything else. */
export function describeFailure(error: unknown): { line: string; code: number } {
  if (error instanceof ConfigError) {
    return { line: `configuration error: ${error.message}`, code: 2 };
  }
  if (error instanceof StartupError) return { line: error.message, code: 1 };
  return { line: `cannot start: ${reason(error)}`, code: 1 };
}

async function readSetting(setting: string, path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    throw new ConfigError(`${setting}: cannot read ${path}: ${reason(error)}`);
  }
}

export interface TlsFiles {
  cert: string;
  key: string;
}

/** The PEM certificate and key, checked to be what their settings say they are. */
export async function readTls(config: Config): Promise<TlsFiles | undefined> {
  if (!config.tlsCert || !config.tlsKey) return undefined;
  const cert = await readSetting("IMPS_TLS_CERT", config.tlsCert);
  const key = await readSetting("IMPS_TLS_KEY", config.tlsKey);
  const isCert = (pem: string) => pem.includes("-----BEGIN CERTIFICATE-----");
  const isKey = (pem: string) => /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem);
  if (isKey(cert) && isCert(key)) {
    throw new ConfigError(
      "IMPS_TLS_CERT and IMPS_TLS_KEY are swapped: the first names a private key, the second a " +
        "certificate",
    );
  }
  if (!isCert(cert)) {
    throw new ConfigError(`IMPS_TLS_CERT: ${config.tlsCert} holds no PEM certificate`);
  }
  if (!isKey(key)) throw new ConfigError(`IMPS_TLS_KEY: ${config.tlsKey} holds no PEM private key`);
  return { cert, key };
}

/** The users of the IMPS_USERS file, read and checked before anything is opened. */
export async function readUsersFile(config: Config): Promise<ListedUser[]> {
  if (!config.usersFile) return [];
  const text = await readSetting("IMPS_USERS", config.usersFile);
  try {
    return parseUsersFile(text, config.domain);
  } catch (error) {
    if (error instanceof AccountError) {
      throw new ConfigError(`IMPS_USERS: ${config.usersFile}: ${error.message}`);
    }
    throw error;
  }
}

/** Warnings about settings that work but may not do what the operator expects. */
export function startupWarnings(config: Config): string[] {
  const warnings = [];
  if (config.dataPath === ":memory:") {
    warnings.push(
      config.usersFile
        ? "IMPS_DATA is :memory:: everything but the IMPS_USERS users is lost when the server stops"
        : "IMPS_DATA is :memory:: nothing is kept when the server stops, and there are no " +
          "users (the admin command cannot reach this store; list users in IMPS_USERS)",
    );
  }
  return warnings;
}

/** The server on its store (locked for this process), with the listed users created. */
export async function openServer(
  config: Config,
  core: Core,
  listed: readonly ListedUser[],
): Promise<ImpsServer> {
  let server: ImpsServer;
  try {
    server = await createServer(config, { parseXml: core.parseXml, parseWbxml: core.parseWbxml });
  } catch (error) {
    if (error instanceof StoreInUse) throw new StartupError(`cannot start: ${error.message}`);
    if (error instanceof CirListenError) throw new StartupError(error.message);
    if (error instanceof StoreDomainMismatch || error instanceof ServerKeyError) {
      throw new ConfigError(error.message);
    }
    throw new StartupError(
      `cannot open the store ${config.dataPath} (IMPS_DATA): ${reason(error)}`,
    );
  }
  try {
    const created = await createListedUsers(server.context.users, server.context.sealer, listed);
    if (created.length > 0) log.info(`added ${created.length} user(s) from IMPS_USERS`);
  } catch (error) {
    await server.close();
    throw new StartupError(`cannot add the IMPS_USERS users: ${reason(error)}`);
  }
  return server;
}

/** The guarded listener's bounds and timeouts, from the settings; benchmarks serve with them too. */
export function listenerBounds(
  config: Config,
  server: ImpsServer,
): Pick<
  GuardedHttpOptions,
  "maxConnections" | "maxPerAddress" | "headTimeoutMs" | "bodyTimeoutMs" | "idleTimeoutMs"
> {
  return {
    maxConnections: config.maxConnections ?? connectionsForFileLimit(server.cir?.stcp?.limit),
    maxPerAddress: config.maxConnectionsPerAddress,
    headTimeoutMs: config.headTimeoutS * 1000,
    bodyTimeoutMs: config.bodyTimeoutS * 1000,
    idleTimeoutMs: config.idleTimeoutS * 1000,
  };
}

/** What serves the app: stopped with `shutdown`. */
export type Listening = Pick<Deno.HttpServer, "shutdown"> & {
  /** The connection bounds of the guarded listener (absent when Deno.serve serves alone). */
  gate?: ConnectionGate;
};

/**
 * Serves the app on the configured address, through the guarded listener (connection bounds and
 * timeouts, see `transport/http_listener.ts`), or by Deno.serve alone when IMPS_MAX_CONNECTIONS
 * is 0; `onListen` gets the URL of the CSP endpoint.
 */
export function listen(
  config: Config,
  tls: TlsFiles | undefined,
  server: ImpsServer,
  onListen: (url: string) => void,
): Listening {
  const scheme = tls ? "https" : "http";
  const announce = ({ hostname, port }: Deno.NetAddr) => {
    const host = hostname.includes(":") ? `[${hostname}]` : hostname;
    onListen(`${scheme}://${host}:${port}/csp`);
  };
  try {
    if (config.maxConnections === 0) {
      return Deno.serve({
        hostname: config.host,
        port: config.port,
        ...tls,
        onListen: announce,
      }, server.app.fetch);
    }
    const http = serveGuarded({
      hostname: config.host,
      port: config.port,
      ...tls,
      ...listenerBounds(config, server),
    }, server.app.fetch);
    announce(http.addr);
    return http;
  } catch (error) {
    const where = `${config.host}:${config.port}`;
    // Deno reports a bad certificate or key as InvalidData or as an "unexpected error".
    const badTls = error instanceof Deno.errors.InvalidData ||
      /certificate|private key/i.test(reason(error));
    if (tls && badTls) {
      throw new StartupError(
        `cannot serve HTTPS with IMPS_TLS_CERT and IMPS_TLS_KEY: ${reason(error)}`,
      );
    }
    throw new StartupError(`cannot listen on ${where}: ${reason(error)}`);
  }
}
