/** Bounds of search and StopSearch that are not settings (proposed as IMPS_SEARCH_* variables). */

/** Most results one search keeps: a criterion matching more is "broad" (see `evaluate`). */
export const MAX_FINDINGS = 1000;
/** How far each criterion is read before the broad ones are told from the narrow ones. */
export const PROBE_FINDINGS = 100;
/** Results per page when the request names no SearchLimit, and the most any page carries. */
export const DEFAULT_SEARCH_LIMIT = 20;
export const MAX_SEARCH_LIMIT = 100;
/** Criteria (SearchElement/SearchString pairs) in one request. */
export const MAX_CRITERIA = 8;
/** Characters of a SearchString. */
export const MAX_SEARCH_STRING = 100;
/** How long an unfinished search waits for its next page (IMPS_SEARCHES_PER_SESSION: how many
 * one session keeps). */
export const SEARCH_TTL_MS = 10 * 60_000;
/** Words of one field that are indexed (each word start is a prefix entry), and their length. */
export const MAX_TERMS_PER_FIELD = 8;
export const MAX_TERM_CHARS = 64;
