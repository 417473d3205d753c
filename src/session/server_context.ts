/** Everything a primitive handler may use, built once per server. */
import type { Config } from "../config.ts";
import type { Metrics } from "../observe/metrics.ts";
import type { Store } from "../store/kv.ts";
import type { OutboxRepo } from "../store/outbox.ts";
import type { SessionCir, SessionRecord } from "../store/sessions.ts";
import type { UserRepo } from "../store/users.ts";
import type { Sealer } from "../util/crypto.ts";
import type { SessionLifecycle } from "./lifecycle.ts";
import type { RateLimits } from "./rates.ts";
import type { Registry } from "./registry.ts";

/**
 * What service elements offer each other (group delivery for IM, the SSP relay for the others),
 * filled in by their `install` steps. An element adds its fields by declaration merging, as
 * Hono's ContextVariableMap does, so the session layer never imports a service element:
 *
 *     declare module "../../session/server_context.ts" {
 *       interface ServiceHooks { groupMessaging?: GroupMessaging }
 *     }
 */
// deno-lint-ignore no-empty-interface
export interface ServiceHooks {}

export interface ServerContext {
  config: Config;
  store: Store;
  users: UserRepo;
  sessions: SessionLifecycle;
  outbox: OutboxRepo;
  registry: Registry;
  /** Seals passwords for digest login with the server key (IMPS_SECRET or the key file). */
  sealer: Sealer;
  hooks: ServiceHooks;
  /** What the server counts for /metrics and the admin API. */
  metrics: Metrics;
  /** Rate limits per session and user (IMPS_RATE_*). */
  rates: RateLimits;
  /** Waking clients (src/transport/cir); absent when no CIR method is enabled. */
  cir?: CirService;
}

/** The CIR channels as ClientCapability and the session layer see them. */
export interface CirService {
  /** The SupportedCIRMethod values this server can use. */
  readonly enabled: ReadonlySet<string>;
  /** The port the STCP listener is bound to, when STCP is on. */
  readonly tcpPort?: number;
  /** Starts waking the session as its record's `cir` says (replacing the `previous` agreement),
   * or stops when it has none. */
  agreed(session: SessionRecord, previous?: SessionCir): Promise<void>;
  /** The session was answered (it heard of what waits): the 1.3 CIR flag, false while no agreed
   * method could reach it; undefined for a session without CIR. */
  answered(sessionId: string): boolean | undefined;
}
