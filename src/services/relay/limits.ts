/** Tunables of presence across domains. */

/** How long a local GetPresence waits for a peer's GetPresenceResponse, ms. */
export const GET_PRESENCE_TIMEOUT_MS = 5_000;
/** Most users one SSP presence request from a peer may name; the rest are ignored. */
export const PRESENCE_TARGETS = 1000;
