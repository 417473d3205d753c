/** Bounds of invitations that are not settings (proposed as IMPS_INVITE_* variables). */

/** Recipients of one Invite-Request. */
export const MAX_RECIPIENTS = 50;
/** Validity when the request gives none, and the longest accepted, seconds. */
export const DEFAULT_VALIDITY_S = 24 * 3600;
export const MAX_VALIDITY_S = 30 * 24 * 3600;
/** InviteNote / ResponseNote characters, URLs in a URLList and their length. */
export const MAX_NOTE_CHARS = 2000;
export const MAX_URLS = 20;
export const MAX_URL_CHARS = 1024;
/** InviteIDs are chosen by the inviter: printable ASCII up to this length. */
export const MAX_INVITE_ID_CHARS = 64;
/** How long an answer or a cancellation waits for its offline addressee at least, ms. */
export const NOTICE_TTL_MS = 7 * 24 * 3600_000;
/** Most invitees one SSP InviteRequest or CancelInviteRequest from a peer may name. */
export const INVITE_TARGETS = 50;
