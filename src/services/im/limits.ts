/** Bounds of the messaging service that are not settings (see IMPS_MAX_MESSAGE, IMPS_MAILBOX_SIZE). */

/**
 * How old a recipient's record read from memory may be (block list, mailbox count, delivery
 * preferences, that the user exists), ms. Every change made by this server is seen at once; only
 * writers outside it (the admin command, another process on the same KV) go unseen this long.
 */
export const RECENT_MS = 2_000;

/** Recipients of one SendMessage or ForwardMessage. */
export const MAX_RECIPIENTS = 50;
