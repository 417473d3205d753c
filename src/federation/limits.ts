/** Tunables of the SSP session layer (fixed here; the deployment settings live in config). */

/** Time to live asked for an SSP session, seconds (Baraza asks a day). */
export const SESSION_TTL_S = 86_400;
/** Connecting to a peer, ms. */
export const CONNECT_TIMEOUT_MS = 5_000;
/** An HTTP answer (the dummy 200) to one POST, ms. */
export const POST_TIMEOUT_MS = 10_000;
/** One step of the SetupTransaction handshake, ms (the peer's answer comes on the other connection). */
export const HANDSHAKE_STEP_TIMEOUT_MS = 5_000;
/** An SSP response to one of our requests, ms. */
export const RESPONSE_TIMEOUT_MS = 15_000;
/** How often expired correlation entries are swept, ms. */
export const SWEEP_INTERVAL_MS = 250;
/** Redirects followed while setting up one connection (seed §5.5: steps 1 and 3 only). */
export const MAX_REDIRECTS = 3;
/** POSTs in flight on one connection before another connection of the pair set is opened. */
export const PIPELINE_DEPTH = 64;
/** Length in bytes of the secret token each side sends (hex: twice as many characters). */
export const TOKEN_BYTES = 16;
/** Pause before our LoginRequest once a peer dropped one sent sooner (Baraza's race), ms. */
export const BARAZA_LOGIN_DELAY_MS = 1_000;
