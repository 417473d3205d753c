/** Presence bounds. */

/** Bounds per user, so one account cannot fill the store. */
export const LIMITS = {
  contactLists: 32,
  contactsPerList: 1000,
  /** Largest stored presence of one user (JSON characters); KV values stop at 64 KiB. */
  presenceChars: 32_000,
  /** Largest nickname or display name. */
  nameChars: 128,
  /** Most targets one request may name. */
  targets: 1000,
} as const;
