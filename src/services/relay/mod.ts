/**
 * The server-to-server relay (SSP, digest §9): with IMPS_FEDERATION on, users of other domains
 * are reached over SSP sessions with their servers, and peers' requests are served here. It
 * installs the hooks the other elements hand their remote users to — `sspRelay` (IM messages,
 * group messages and delivery reports; any SSP request), `remotePresence` (presence
 * subscriptions, GetPresence, notifications), `invitationRelay` (invitations, answers,
 * cancellations) and `groupRelay` (group primitives, notices, removals) — and serves the SSP
 * binding (any path, by content type) and GET /ssp/peers.
 */
import { failure, log } from "../../observe/log.ts";
import type { Context } from "hono";
import { getConnInfo } from "hono/deno";
import { isGroupMessage } from "../../codec/ssp/mod.ts";
import { DEFAULT_XML_LIMITS } from "../../codec/xml/tree.ts";
import type { XmlElement } from "../../codec/xml/tree.ts";
import { type Core, loadCore } from "../../core/mod.ts";
import { Federation, type RequestHandler } from "../../federation/federation.ts";
import { type FederationConfig, federationConfig } from "../../federation/settings.ts";
import { KvSessionStore } from "../../federation/sessions.ts";
import type { ServerContext } from "../../session/server_context.ts";
import { registerSspRoute } from "../../transport/ssp/inbound.ts";
import type { UserAddress } from "../../util/userid.ts";
import type { Draft } from "../im/compose.ts";
import type { GroupAddressing, GroupRecipient, RecipientOutcome } from "../im/seams.ts";
import type { ServiceElement } from "../mod.ts";
import type { RemoteRelay } from "./hooks.ts";
import { REPORT_SCAN_MS } from "./limits.ts";
import { GroupRelayService } from "./group_relay.ts";
import { receiveDeliveryReport, receiveMessage, relayMessage } from "./messages.ts";
import { InvitationRelayService } from "./invitations.ts";
import { PresenceRelay } from "./presence.ts";
import { RelayQueue } from "./queue.ts";
import { collectRemoteReports } from "./reports.ts";

export class Relay implements RemoteRelay {
  readonly core: Promise<Core>;
  readonly federation: Federation;
  readonly queue: RelayQueue;
  readonly #server: ServerContext;
  readonly #groups: GroupRelayService;
  readonly #scanner: ReturnType<typeof setInterval>;
  #scanning?: Promise<void>;
  readonly #started: Promise<void>;

  constructor(server: ServerContext) {
    this.#server = server;
    this.core = loadCore(server.config.core);
    // Read once at start, so a wrong path stops the server before it serves anyone.
    const caFile = server.config.sspCaFile;
    const caCerts = caFile ? [Deno.readTextFileSync(caFile)] : undefined;
    const config = federationConfig(server.config, caCerts);
    this.federation = new Federation(config, this.core, new KvSessionStore(server.store));
    for (const line of startupNote(config)) log.info(line);
    this.queue = new RelayQueue(server, this.federation);
    server.metrics.storeGauge(
      "imps_relay_queue_jobs",
      "SSP work queued for peer domains (messages, reports, notifications, requests)",
      [],
      async () => [[{}, await this.queue.depth()]],
    );
    server.metrics.gauge(
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
    const listed = Object.keys(server.config.sspPeers);
    server.metrics.gauge(
      "imps_ssp_peer_up",
      "1 while an IMPS_PEERS peer is up (reached, session set up), 0 while down or not tried",
      ["peer"],
      () => {
        const states = new Map(this.federation.peerStates().map((p) => [p.domain, p.state]));
        return listed.map((peer) => [{ peer }, states.get(peer) === "up" ? 1 : 0]);
      },
    );
    server.metrics.counter(
      "imps_relay_retries_total",
      "Relayed jobs that found their peer unreachable and wait to be tried again",
      [],
      () => [[{}, this.queue.retries]],
    );
    this.#groups = new GroupRelayService(server, this.federation, this.queue);
    server.hooks.groupRelay = this.#groups;
    this.queue.onGroupCopyLost = (domain, groupId, receivers) =>
      this.#groups.dropUnreachable(domain, groupId, receivers);
    this.federation.handle(
      "SendMessageRequest",
      (peer, p) =>
        isGroupMessage(p) ? this.#groups.receiveMessage(peer, p) : receiveMessage(server, peer, p),
    );
    this.federation.handle(
      "DeliveryStatusReport",
      (peer, p) => receiveDeliveryReport(server, peer, p),
    );
    server.hooks.remotePresence = new PresenceRelay(server, this.federation, this.queue, this.core);
    server.hooks.invitationRelay = new InvitationRelayService(server, this.federation, this.queue);
    this.#scanner = setInterval(() => this.#scanReports(), REPORT_SCAN_MS);
    this.#started = this.queue.resume().catch((e) => log.error("relay resume failed", failure(e)));
  }

  relayMessage(
    draft: Draft,
    content: string,
    recipients: UserAddress[],
  ): Promise<RecipientOutcome[]> {
    return relayMessage(this.#server, this.federation, this.queue, draft, content, recipients);
  }

  relayToGroup(
    draft: Draft,
    content: string,
    recipient: GroupRecipient,
  ): Promise<RecipientOutcome> {
    return this.#groups.relayToGroup(draft, content, recipient);
  }

  relayGroupCopies(
    draft: Draft,
    content: string,
    addressing: GroupAddressing,
    receivers: UserAddress[],
  ): Promise<void> {
    return this.#groups.relayGroupCopies(draft, content, addressing, receivers);
  }

  request(domain: string, primitive: XmlElement): Promise<XmlElement> {
    return this.federation.request(domain, primitive);
  }

  handle(name: string, handler: RequestHandler): void {
    this.federation.handle(name, handler);
  }

  #scanReports(): void {
    if (this.#scanning) return;
    const now = Date.now();
    this.#scanning = collectRemoteReports(
      this.#server,
      (peer, report, originId) =>
        this.queue.enqueue(peer, {
          kind: "report",
          giveUpAt: now + this.#server.config.sspGiveUpS * 1000,
          report: {
            messageId: originId,
            owner: report.owner,
            recipient: report.recipient,
            code: report.code,
            at: report.at,
            contentType: report.message.contentType,
          },
        }),
    )
      .then((peers) => peers.forEach((peer) => this.queue.kick(peer)))
      .catch((e) => log.error("relay report scan failed", failure(e)))
      .finally(() => this.#scanning = undefined);
  }

  async close(): Promise<void> {
    clearInterval(this.#scanner);
    await this.#started;
    await this.#scanning;
    // Connections and awaited answers go first, so that no queue loop waits out a timeout.
    const queue = this.queue.close();
    await this.federation.close();
    await queue;
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

function install(server: ServerContext): void {
  if (server.config.federation) server.hooks.sspRelay = new Relay(server);
}

/**
 * GET /ssp/peers: every peer domain dealt with since start, whether a session is up, its state
 * and why, and how much work waits for it (JSON, for operators and a metrics exporter). Only
 * asked from the machine itself: it tells which domains this server talks to.
 */
async function peersReport(c: Context, relay: Relay): Promise<Response> {
  let local = true;
  try {
    const address = getConnInfo(c).remote.address;
    local = address === undefined || /^(127\.|::1$|::ffff:127\.)/.test(address);
  } catch {
    // In-process requests (app.request) have no connection.
  }
  if (!local) return c.text("Forbidden", 403);
  const peers = await Promise.all(
    relay.federation.peerStates().map(async (p) => ({
      ...p,
      queued: await relay.queue.waiting(p.domain),
    })),
  );
  return c.json({ domain: relay.federation.domain, peers });
}

export const relayElement: ServiceElement = {
  name: "relay",
  modules: [],
  install,
  routes(app, server) {
    const relay = server.hooks.sspRelay;
    if (!(relay instanceof Relay)) return;
    registerSspRoute(app, {
      core: relay.core,
      limits: { ...DEFAULT_XML_LIMITS, maxBytes: server.config.maxBodyBytes },
      receiver: relay.federation,
    });
    app.get("/ssp/peers", (c) => peersReport(c, relay));
  },
  async close(server) {
    const relay = server.hooks.sspRelay;
    if (relay instanceof Relay) await relay.close();
  },
};
