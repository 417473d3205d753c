/** Bounds of the messaging service that are not settings (see IMPS_MAX_MESSAGE, IMPS_MAILBOX_SIZE). */

/**
 * How old a recipient's record read from memory may be (block list, mailbox count, delivery
 * preferences, that the user exists), ms. Every change made by this server is seen at once; only
 * writers outside it (the admin command, another process on the same KV) go unseen this long.
 */
export const RECENT_MS = 2_000;

/** Recipients of one SendMessage or ForwardMessage. */
export const MAX_RECIPIENTS = 50;

/** How often delivery reports for senders of other domains are looked for, ms. */
export const REPORT_SCAN_MS = 200;

/** How long a message id of another domain is remembered against duplicates, ms. */
export const SEEN_REMEMBERED_MS = 7 * 24 * 3600_000;

/** Most receivers one group message copy from another domain may name; the rest are ignored. */
export const GROUP_COPY_TARGETS = 1000;
