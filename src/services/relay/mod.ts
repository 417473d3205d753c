/**
 * Presence across domains (SSP, digest §9), with IMPS_FEDERATION on: it installs the
 * `remotePresence` hook presence hands its remote users to (subscriptions, GetPresence,
 * notifications) and serves the peers' presence requests.
 */
import type { SspRelay } from "../../federation/relay.ts";
import type { ServerContext, ServiceElement } from "../../session/handler.ts";
import { PresenceRelay } from "./presence.ts";

export function createRelayElement(server: ServerContext, transport?: SspRelay): ServiceElement {
  if (transport) server.hooks.remotePresence = new PresenceRelay(server, transport);
  return { name: "relay", modules: [] };
}
