/** Tunables of the relay between CSP and SSP. */

/** Jobs of one peer sent at once (pipelined) in one round of its queue. */
export const BATCH = 128;
/** First and longest pause between attempts while a peer is unreachable, ms. */
export const RETRY_FIRST_MS = 250;
export const RETRY_MAX_MS = 60_000;
/** How often remote senders' delivery reports are looked for, ms. */
export const REPORT_SCAN_MS = 200;
/** How long a relayed message id is remembered against duplicates, ms. */
export const SEEN_REMEMBERED_MS = 7 * 24 * 3600_000;
/** How long a local GetPresence waits for a peer's GetPresenceResponse, ms. */
export const GET_PRESENCE_TIMEOUT_MS = 5_000;
/** Most users one SSP presence request from a peer may name; the rest are ignored. */
export const PRESENCE_TARGETS = 1000;
/** Most invitees one SSP InviteRequest or CancelInviteRequest from a peer may name. */
export const INVITE_TARGETS = 50;
/** How long a local client's group request waits for the group's server, ms. */
export const GROUP_REQUEST_TIMEOUT_MS = 10_000;
/** Most users one group message copy, GroupChangeNotice or LeaveGroupIndication may name. */
export const GROUP_NOTICE_TARGETS = 1000;
/** How long a queued AutoJoin to a group of another domain is tried, ms. */
export const AUTO_JOIN_GIVE_UP_MS = 10 * 60_000;
