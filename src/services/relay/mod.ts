/**
 * The server-to-server relay (SSP, digest §9): with IMPS_FEDERATION on, users of other domains
 * are reached over SSP sessions with their servers, and peers' requests are served here. It
 * installs the hooks the other elements hand their remote users to — `sspRelay` (IM messages,
 * group messages and delivery reports; any SSP request), `remotePresence` (presence
 * subscriptions, GetPresence, notifications), `invitationRelay` (invitations, answers,
 * cancellations) and `groupRelay` (group primitives, notices, removals) — and serves the SSP
 * binding (any path, by content type) and GET /ssp/peers.
 */
import { deliveryStatusReport, isGroupMessage } from "../../codec/ssp/mod.ts";
import type { XmlElement } from "../../codec/xml/tree.ts";
import { MESSAGE_SETTLED } from "../../federation/queue.ts";
import type { RequestHandler, SspRelay } from "../../federation/relay.ts";
import type { ServerContext, ServiceElement } from "../../session/handler.ts";
import type { UserAddress } from "../shared/ids.ts";
import type { Draft } from "../im/compose.ts";
import type { GroupAddressing, GroupRecipient } from "../shared/group_messages.ts";
import type { RecipientOutcome } from "../shared/outcomes.ts";
import type { RemoteRelay } from "./hooks.ts";
import { REPORT_SCAN_MS } from "./limits.ts";
import { receiveGroupMessage, relayCopies, relayToGroup } from "../im/federation_groups.ts";
import { messageSettler, receiveDeliveryReport, receiveMessage, relayMessage } from "../im/federation.ts";
import { PresenceRelay } from "./presence.ts";
import { collectRemoteReports } from "./reports.ts";

export class Relay implements RemoteRelay {
  readonly transport: SspRelay;
  readonly #server: ServerContext;
  readonly #scanner: ReturnType<typeof setInterval>;
  #scanning?: Promise<void>;

  constructor(server: ServerContext, transport: SspRelay) {
    this.#server = server;
    this.transport = transport;
    transport.onSettled(MESSAGE_SETTLED, messageSettler(server));
    transport.handle(
      "SendMessageRequest",
      (peer, p) =>
        isGroupMessage(p) ? receiveGroupMessage(server, peer, p) : receiveMessage(server, peer, p),
    );
    transport.handle(
      "DeliveryStatusReport",
      (peer, p) => receiveDeliveryReport(server, peer, p),
    );
    server.hooks.remotePresence = new PresenceRelay(server, transport);
    this.#scanner = setInterval(() => this.#scanReports(), REPORT_SCAN_MS);
  }

  relayMessage(
    draft: Draft,
    content: string,
    recipients: UserAddress[],
  ): Promise<RecipientOutcome[]> {
    return relayMessage(this.#server, this.transport, draft, content, recipients);
  }

  relayToGroup(
    draft: Draft,
    content: string,
    recipient: GroupRecipient,
  ): Promise<RecipientOutcome> {
    return relayToGroup(this.#server, this.transport, draft, content, recipient);
  }

  relayGroupCopies(
    draft: Draft,
    content: string,
    addressing: GroupAddressing,
    receivers: UserAddress[],
  ): Promise<void> {
    return relayCopies(this.#server, this.transport, draft, content, addressing, receivers);
  }

  request(domain: string, primitive: XmlElement): Promise<XmlElement> {
    return this.transport.request(domain, primitive);
  }

  handle(name: string, handler: RequestHandler): void {
    this.transport.handle(name, handler);
  }

  #scanReports(): void {
    if (this.#scanning) return;
    const now = Date.now();
    this.#scanning = collectRemoteReports(
      this.#server,
      (peer, report, originId) =>
        this.transport.enqueue(peer, {
          kind: "notify",
          primitive: deliveryStatusReport(this.#server.config.domain, {
            messageId: originId,
            owner: report.owner,
            recipient: report.recipient,
            code: report.code,
            at: report.at,
            contentType: report.message.contentType,
          }),
          giveUpAt: this.transport.giveUpAt(now),
        }),
    )
      .then((peers) => peers.forEach((peer) => this.transport.send(peer)))
      .catch((e) => console.error("relay report scan failed:", e))
      .finally(() => this.#scanning = undefined);
  }

  async close(): Promise<void> {
    clearInterval(this.#scanner);
    await this.#scanning;
  }
}

/** The elements' parts that cross domains, on the SSP transport (with IMPS_FEDERATION on). */
export function createRelayElement(server: ServerContext, transport?: SspRelay): ServiceElement {
  const relay = transport && new Relay(server, transport);
  if (relay) server.hooks.sspRelay = relay;
  return {
    name: "relay",
    modules: [],
    close: async () => await relay?.close(),
  };
}
