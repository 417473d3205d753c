/**
 * The server-to-server relay (SSP, digest §9): with IMPS_FEDERATION on, users of other domains
 * are reached over SSP sessions with their servers, and peers' requests are served here. It
 * installs the hooks the other elements hand their remote users to — `sspRelay` (IM messages,
 * group messages and delivery reports; any SSP request), `remotePresence` (presence
 * subscriptions, GetPresence, notifications), `invitationRelay` (invitations, answers,
 * cancellations) and `groupRelay` (group primitives, notices, removals) — and serves `POST /ssp`.
 */
import { failure, log } from "../../observe/log.ts";
import { isGroupMessage } from "../../codec/ssp/mod.ts";
import { DEFAULT_XML_LIMITS } from "../../codec/xml/tree.ts";
import type { XmlElement } from "../../codec/xml/tree.ts";
import { type Core, loadCore } from "../../core/mod.ts";
import { Federation, type RequestHandler } from "../../federation/federation.ts";
import { federationConfig } from "../../federation/settings.ts";
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
    this.federation = new Federation(federationConfig(server.config, caCerts), this.core);
    this.queue = new RelayQueue(server, this.federation);
    server.metrics.storeGauge(
      "imps_relay_queue_jobs",
      "SSP work queued for peer domains (messages, reports, notifications, requests)",
      [],
      async () => [[{}, await this.queue.depth()]],
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
    await this.queue.close();
    await this.federation.close();
  }
}

function install(server: ServerContext): void {
  if (server.config.federation) server.hooks.sspRelay = new Relay(server);
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
  },
  async close(server) {
    const relay = server.hooks.sspRelay;
    if (relay instanceof Relay) await relay.close();
  },
};
