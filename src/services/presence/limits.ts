/** Presence bounds and tunables. */

/** Bounds per user, so one account cannot fill the store. */
export const LIMITS = {
  contactLists: 32,
  contactsPerList: 1000,
  /** Users one user may subscribe to (754 beyond). */
  subscriptions: 5000,
  /** Largest stored presence of one user (JSON characters); KV values stop at 64 KiB. */
  presenceChars: 32_000,
  /** Largest nickname or display name. */
  nameChars: 128,
  /** Most targets one request may name. */
  targets: 1000,
  /** How far back GetWatcherList's HistoryPeriod can reach (former subscribers, readers). */
  historySeconds: 30 * 24 * 3600,
  /** Tries of a presence change that keeps meeting a concurrent one before 503. */
  presenceChangeAttempts: 8,
  /** Listeners checked for a live session per notification fan-out: finds, a few at a time,
   * those left behind by a session that ended without its end hook (a crash). */
  listenerChecks: 16,
} as const;

/** How long a local GetPresence waits for a peer's GetPresenceResponse, ms. */
export const GET_PRESENCE_TIMEOUT_MS = 5_000;
/** Most users one SSP presence request from a peer may name; the rest are ignored. */
export const PRESENCE_TARGETS = 1000;
