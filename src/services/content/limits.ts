/** Bounds of shared content (proposed as IMPS_CONTENT_* variables). */

/** Largest single upload, bytes (IMPS_CONTENT_MAX). */
export const MAX_CONTENT_BYTES = 1024 * 1024;
/** What one user may keep stored in all, bytes and items (IMPS_CONTENT_QUOTA, IMPS_CONTENT_ITEMS). */
export const QUOTA_BYTES = 10 * 1024 * 1024;
export const QUOTA_ITEMS = 500;
/** Bytes per KV value: below KV's 64 KiB value limit. */
export const CHUNK_BYTES = 60 * 1024;
/** Chunks per commit: about 360 KiB, within KV's size limit for one atomic write. */
export const CHUNKS_PER_COMMIT = 6;
/** Longest Content-Type kept. */
export const MAX_CONTENT_TYPE = 200;
