/**
 * The server as a fetch handler, for hosts that listen themselves (Deno Deploy, `deno serve`):
 * `src/deploy.ts` opens one per isolate and exports its `fetch`; tests drive it in-process.
 *
 * Nothing here needs a timer: the background work (`ImpsServer.sweep`: expired sessions ended
 * and their users set offline, unfinished ends, removed accounts, relayed work retried) runs when
 * the host schedules it (`Deno.cron`), or, where the host has no scheduler, on a request once
 * `sweepEveryMs` has passed since the last round began. Either way a request on an expired
 * session ends it at once. The relay queues of an isolate that is gone are also looked for on
 * requests, at most once a TAKE_OVER_LOOK_MS (one range read), so that while requests come they
 * are taken over within seconds rather than at the next round.
 */
import { AccountError, createListedUsers, type ListedUser, parseUsersFile } from "./accounts.ts";
import { ConfigError, loadConfig } from "./config.ts";
import { loadCore } from "./core/mod.ts";
import { TAKE_OVER_LOOK_MS } from "./federation/queue.ts";
import { failure, log } from "./observe/log.ts";
import { createServer, type ImpsServer } from "./server.ts";
import { StoreDomainMismatch } from "./store/domain.ts";
import { ServerKeyError } from "./store/server_key.ts";
import { PRODUCT, VERSION } from "./version.ts";

/** Deno.cron's finest schedule (once a minute), also the on-request sweeps' least interval. */
export const SWEEP_EVERY_MS = 60_000;

/** Longest a stop waits for requests in progress. */
const STOP_WAIT_MS = 10_000;

export interface DeploymentOptions {
  /**
   * `cron`: the host calls `sweep` on a schedule; `request`: a request starts a round when
   * `sweepEveryMs` has passed since the last one began (without waiting for it).
   */
  sweeps: "cron" | "request";
  /** Least time between on-request rounds, ms (SWEEP_EVERY_MS unless set). */
  sweepEveryMs?: number;
}

export interface Deployment {
  /** Answers one request, as `export default { fetch }` does. */
  fetch(request: Request, info?: Deno.ServeHandlerInfo): Promise<Response>;
  /** One round of the background work (what the host's scheduler calls). */
  sweep(): Promise<void>;
  server: ImpsServer;
  /** Stops background work and closes the store once the requests in progress are answered
   * (held SHTTP GETs first, and the WebSockets closed). */
  close(): Promise<void>;
}

/**
 * Opens the server on the settings of `env` as the deploy entry reads them (`loadConfig`'s
 * `deploy` host), with the IMPS_USERS users created (a file of the deployment: the host's file
 * system is read-only). Fails with `configuration error: …` or `cannot start: …`, one line.
 */
export async function openDeployment(
  env: Record<string, string | undefined>,
  options: DeploymentOptions,
): Promise<Deployment> {
  let server: ImpsServer;
  try {
    const config = loadConfig(env, "deploy");
    log.configure({ level: config.logLevel, format: config.logFormat });
    const listed = config.usersFile ? await readUsers(config.usersFile, config.domain) : [];
    const core = await loadCore(config.core);
    server = await createServer(config, {
      parseXml: core.parseXml,
      parseWbxml: core.parseWbxml,
      sweepIntervalMs: 0,
    });
    try {
      const created = await createListedUsers(server.context.users, server.context.sealer, listed);
      if (created.length > 0) console.log(`added ${created.length} user(s) from IMPS_USERS`);
    } catch (error) {
      await server.close();
      throw error;
    }
    console.log(
      `${PRODUCT} ${VERSION} for ${config.domain} (deploy entry, store ${config.dataPath}, ` +
        `core ${config.core}, background work ${
          options.sweeps === "cron" ? "by cron" : "on requests"
        })`,
    );
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const toFix = error instanceof ConfigError || error instanceof StoreDomainMismatch ||
      error instanceof ServerKeyError;
    throw new Error(toFix ? `configuration error: ${reason}` : `cannot start: ${reason}`);
  }

  const sweep = () =>
    server.sweep().catch((error) => log.error("background work failed", failure(error)));
  const every = options.sweepEveryMs ?? SWEEP_EVERY_MS;
  let lastRound = Date.now();
  let round: Promise<void> | undefined;
  let lastLook = Date.now();
  const queue = server.federation?.queue;
  let inFlight = 0;
  let idle: (() => void) | undefined;
  const fetch = async (request: Request, info?: Deno.ServeHandlerInfo) => {
    if (options.sweeps === "request" && !round && Date.now() - lastRound >= every) {
      lastRound = Date.now();
      round = sweep().finally(() => round = undefined);
    }
    if (queue && Date.now() - lastLook >= TAKE_OVER_LOOK_MS) {
      lastLook = Date.now();
      queue.takeOver().catch((error) => log.error("relay take-over failed", failure(error)));
    }
    inFlight++;
    try {
      return await server.app.fetch(request, info);
    } finally {
      if (--inFlight === 0) idle?.();
    }
  };
  return {
    fetch,
    sweep,
    server,
    async close() {
      // Held SHTTP GETs are requests in progress that would last to the end of their wait: they
      // are answered first, and the WebSockets closed (clients say HELO again to another isolate).
      await server.cir?.close();
      // Requests in progress finish first (the host stops sending new ones), at most STOP_WAIT_MS.
      if (inFlight > 0) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        await new Promise<void>((resolve) => {
          idle = resolve;
          timer = setTimeout(resolve, STOP_WAIT_MS);
        });
        clearTimeout(timer);
      }
      await round;
      await server.close();
    },
  };
}

/** The IMPS_USERS file (read here, not by `startup.ts`, whose listener code a host that listens
 * itself has no use for). */
async function readUsers(path: string, domain: string): Promise<ListedUser[]> {
  let text;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new ConfigError(`IMPS_USERS: cannot read ${path}: ${(error as Error).message}`);
  }
  try {
    return parseUsersFile(text, domain);
  } catch (error) {
    if (error instanceof AccountError) {
      throw new ConfigError(`IMPS_USERS: ${path}: ${error.message}`);
    }
    throw error;
  }
}
