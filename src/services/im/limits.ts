/** Bounds of the messaging service that are not settings (see IMPS_MAX_MESSAGE, IMPS_MAILBOX_SIZE). */

/** Recipients of one SendMessage or ForwardMessage. */
export const MAX_RECIPIENTS = 50;
