/**
 * The SSP transport (digest §9), as the service elements use it with IMPS_FEDERATION on: SSP
 * sessions with peer domains (`federation.ts`), the outbound queue that keeps work in KV until a
 * peer has it (`queue.ts`), and the SSP binding's routes (any path, by content type, and
 * GET /ssp/peers). It knows no primitive of its own: each element sends and serves its own
 * primitives through it (IM the SendMessageRequest, presence the SubscribeRequest, …), as
 * Prosody's modules route a stanza whether or not its recipient is local.
 */
import type { Context, Hono } from "hono";
import { getConnInfo } from "hono/deno";
import type { Config } from "../config.ts";
import { DEFAULT_XML_LIMITS, type XmlElement } from "../codec/xml/tree.ts";
import { type Core, loadCore } from "../core/mod.ts";
import { failure, log } from "../observe/log.ts";
import type { Metrics } from "../observe/metrics.ts";
import type { InstanceInbox } from "../store/instance_inbox.ts";
import type { Mutation, Store } from "../store/kv.ts";
import { registerSspRoute } from "../transport/ssp/inbound.ts";
import { Federation, type HandlerOptions, type RequestHandler } from "./federation.ts";
import { type RelayJob, RelayQueue, type SettleHandler } from "./queue.ts";
import { KvSessionStore } from "./sessions.ts";
import { type FederationConfig, federationConfig } from "./settings.ts";

export {
  type HandlerOptions,
  PeerRefused,
  PeerUnavailable,
  type RequestHandler,
} from "./federation.ts";
export type { RelayJob, SettleHandler } from "./queue.ts";

/** What a service element uses to reach users of other domains and to serve their servers. */
export interface SspTransport {
  /** Our domain, as peers know it. */
  readonly domain: string;
  /** The core the server reads XML with (for the trees SSP carries). */
  readonly core: Promise<Core>;
  /** Whether we federate with `domain` (IMPS_SSP_ALLOW, IMPS_SSP_DENY). */
  allowed(domain: string): boolean;
  /** False only when `domain` surely has no IMPS server: no static endpoint, and DNS says it
   * has no `_imps-server._tcp` record (a DNS failure is not an answer). */
  exists(domain: string): Promise<boolean>;
  /** Sends a request now and resolves with the peer's answer; PeerRefused when we do not
   * federate with the domain, PeerUnavailable when it cannot be reached. */
  request(domain: string, primitive: XmlElement): Promise<XmlElement>;
  /** Serves the peers' requests named `name` (e.g. "SendMessageRequest"). */
  handle(name: string, handler: RequestHandler, options?: HandlerOptions): void;
  /** The mutation that queues `job` for `domain`, committed with the caller's own writes (then
   * `send`); with `coalesceKey`, it replaces the job of that key still waiting. */
  enqueue(domain: string, job: RelayJob, coalesceKey?: string): Mutation;
  /** Starts sending what was queued for `domain`: call once the queueing is committed. */
  send(domain: string): void;
  /** Lets `handler` hear what becomes of the jobs queued with `settle.by` = `name`. */
  onSettled(name: string, handler: SettleHandler): void;
  /** When work queued at `now` is given up while its peer stays unreachable (IMPS_SSP_GIVE_UP). */
  giveUpAt(now?: number): number;
}

export class SspRelay implements SspTransport {
  readonly core: Promise<Core>;
  readonly federation: Federation;
  readonly queue: RelayQueue;
  readonly #config: Config;
  #started?: Promise<void>;

  /** `inbox`: this instance's, when other instances share the store (shared mode). */
  constructor(config: Config, store: Store, metrics: Metrics, inbox?: InstanceInbox) {
    this.#config = config;
    this.core = loadCore(config.core);
    // Read once at start, so a wrong path stops the server before it serves anyone.
    const caCerts = config.sspCaFile ? [Deno.readTextFileSync(config.sspCaFile)] : undefined;
    const settings = federationConfig(config, caCerts);
    const sessions = new KvSessionStore(store);
    this.federation = new Federation(
      settings,
      this.core,
      sessions,
      undefined,
      inbox && { inbox, claims: sessions },
    );
    for (const line of startupNote(settings)) log.info(line);
    this.queue = new RelayQueue(store, this.federation, inbox?.id);
    this.#measure(metrics, Object.keys(settings.peers));
  }

  /** The relay's series: queued work, peers by state, each listed peer's state, retries. */
  #measure(metrics: Metrics, listed: readonly string[]): void {
    metrics.storeGauge(
      "imps_relay_queue_jobs",
      "SSP work queued for peer domains (messages, reports, notifications, requests)",
      [],
      async () => [[{}, await this.queue.depth()]],
    );
    metrics.gauge(
      "imps_ssp_peers",
      "Peer domains dealt with since start, by state (unknown: not tried yet)",
      ["state"],
      () => {
        const counts = new Map<string, number>([["up", 0], ["down", 0], ["unknown", 0]]);
        for (const p of this.federation.peerStates()) {
          const state = p.state ?? "unknown";
          counts.set(state, counts.get(state)! + 1);
        }
        return [...counts].map(([state, n]) => [{ state }, n]);
      },
    );
    // One series per peer only for the peers the operator listed: any domain a user names
    // becomes a peer, and labels must stay bounded.
    metrics.gauge(
      "imps_ssp_peer_up",
      "1 while an IMPS_PEERS peer is up (reached, session set up), 0 while down or not tried",
      ["peer"],
      () => {
        const states = new Map(this.federation.peerStates().map((p) => [p.domain, p.state]));
        return listed.map((peer) => [{ peer }, states.get(peer) === "up" ? 1 : 0]);
      },
    );
    metrics.counter(
      "imps_relay_retries_total",
      "Relayed jobs that found their peer unreachable and wait to be tried again",
      [],
      () => [[{}, this.queue.retries]],
    );
  }

  get domain(): string {
    return this.federation.domain;
  }

  allowed(domain: string): boolean {
    return this.federation.peers.allowed(domain);
  }

  exists(domain: string): Promise<boolean> {
    return this.federation.peers.exists(domain);
  }

  request(domain: string, primitive: XmlElement): Promise<XmlElement> {
    return this.federation.request(domain, primitive);
  }

  handle(name: string, handler: RequestHandler, options?: HandlerOptions): void {
    this.federation.handle(name, handler, options);
  }

  enqueue(domain: string, job: RelayJob, coalesceKey?: string): Mutation {
    return this.queue.enqueue(domain, job, coalesceKey);
  }

  send(domain: string): void {
    this.queue.kick(domain);
  }

  onSettled(name: string, handler: SettleHandler): void {
    this.queue.onSettled(name, handler);
  }

  giveUpAt(now = Date.now()): number {
    return now + this.#config.sspGiveUpS * 1000;
  }

  /** Serves the SSP binding and GET /ssp/peers. */
  routes(app: Hono): void {
    registerSspRoute(app, {
      core: this.core,
      limits: { ...DEFAULT_XML_LIMITS, maxBytes: this.#config.maxBodyBytes },
      receiver: this.federation,
    });
    app.get("/ssp/peers", (c) => this.#peersReport(c));
  }

  /**
   * Sends the work left from before a restart; call once the elements have registered their
   * handlers. `watch`: on a shared store, look every second for queues whose instance is gone
   * (where the host keeps timers; elsewhere `sweep` does it).
   */
  start(options: { watch: boolean }): void {
    this.#started ??= this.queue.resume().catch((e) =>
      log.error("relay resume failed", failure(e))
    );
    if (options.watch) this.queue.watch();
  }

  /** One round of background work, on a shared store: the queues whose instance is gone, or
   * that no instance started, are worked. */
  async sweep(): Promise<void> {
    if (this.queue.exclusive) return;
    await this.queue.takeOver();
    await this.queue.resume();
  }

  async close(): Promise<void> {
    await this.#started;
    // Connections and awaited answers go first, so that no queue loop waits out a timeout.
    const queue = this.queue.close();
    await this.federation.close();
    await queue;
  }

  /**
   * GET /ssp/peers: every peer domain dealt with since start, whether a session is up, its
   * state and why, and how much work waits for it (JSON, for operators and a metrics exporter).
   * Only asked from the machine itself: it tells which domains this server talks to.
   */
  async #peersReport(c: Context): Promise<Response> {
    let local = true;
    try {
      const address = getConnInfo(c).remote.address;
      local = address === undefined || /^(127\.|::1$|::ffff:127\.)/.test(address);
    } catch {
      // In-process requests (app.request) have no connection.
    }
    if (!local) return c.text("Forbidden", 403);
    const peers = await Promise.all(
      this.federation.peerStates().map(async (p) => ({
        ...p,
        queued: await this.queue.waiting(p.domain),
      })),
    );
    return c.json({ domain: this.federation.domain, peers });
  }
}

/**
 * What federation does, said once at start: where peers are found and how each proves it got
 * our token (HMAC-MD5 with a shared secret, or MD5(token) as Baraza does: the two never match).
 */
function startupNote(config: FederationConfig): string[] {
  const peers = Object.keys(config.peers);
  const hmac = (d: string) =>
    !config.md5Peers.includes(d) && (config.secrets[d] ?? config.secret) !== undefined;
  const md5 = [...new Set([...peers, ...Object.keys(config.secrets), ...config.md5Peers])]
    .filter((d) => !hmac(d));
  const lines = [
    `SSP federation on for ${config.domain}` +
    (peers.length
      ? ` (IMPS_PEERS: ${peers.join(", ")}; others by DNS SRV)`
      : " (peers by DNS SRV)"),
    config.secret
      ? `SSP digest: HMAC-MD5 with IMPS_SSP_SECRET for every peer not listed otherwise` +
        (md5.length ? `; MD5(token), Baraza's way, for ${md5.join(", ")}` : "") +
        " (a Baraza peer proves MD5(token): list it in IMPS_SSP_MD5_PEERS)"
      : `SSP digest: MD5(token), Baraza's way, for every peer without IMPS_SSP_PEER_SECRETS` +
        (Object.keys(config.secrets).length
          ? `; HMAC-MD5 with a shared secret for ${
            Object.keys(config.secrets).filter(hmac).join(", ")
          }`
          : ""),
  ];
  return lines;
}
