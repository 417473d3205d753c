/**
 * The content endpoints (HTTP, beside `POST /csp`):
 *
 * - `POST /content/` stores the body with its Content-Type: 201, `Location: /content/<id>`, and a
 *   JSON description; 413 when larger than `MAX_CONTENT_BYTES`, 507 when the owner's quota is
 *   used up, 415 for a malformed Content-Type, 400 for an empty body, 503 (Retry-After) when
 *   the owner's other uploads and deletes kept changing the usage it has to count itself in;
 *   429 (Retry-After) past the owner's uploads per minute (IMPS_RATE_UPLOADS)
 * - `GET /content/<id>` answers the bytes to whoever may read them (see `sharing.ts`)
 * - `DELETE /content/<id>` removes them: 204 for the owner, 403 for someone it was shared with
 *
 * Every request needs a live session (401 otherwise). An item the caller may not read is 404,
 * exactly like an item that does not exist, so strangers cannot probe for ids.
 */
import type { Context, Hono } from "hono";
import { randomHex } from "../../util/ids.ts";
import { authenticate } from "./auth.ts";
import type { Content } from "./element.ts";
import { MAX_CONTENT_BYTES, MAX_CONTENT_TYPE, QUOTA_BYTES, QUOTA_ITEMS } from "./limits.ts";
import { type ContentItem, type Usage, UsageBusy } from "./storage.ts";
import { CONTENT_ID, mayRead } from "./sharing.ts";

const MEDIA_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*(\s*;.*)?$/;

const unauthorized = (c: Context) =>
  c.text("A live CSP session is needed: x-wv-sessionid or Authorization: Bearer", 401, {
    "www-authenticate": "Bearer",
  });
const notFound = (c: Context) => c.text("No such content", 404);

/** The body, or undefined as soon as it grows past `max` bytes (the rest is not read). */
async function readAtMost(request: Request, max: number): Promise<Uint8Array | undefined> {
  if (!request.body) return new Uint8Array();
  const parts: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > max) {
      await reader.cancel();
      return undefined;
    }
    parts.push(value);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function describeItem(c: Context, item: ContentItem) {
  const path = `/content/${item.id}`;
  return {
    id: item.id,
    url: new URL(path, c.req.url).href,
    contentType: item.contentType,
    size: item.size,
  };
}

async function upload(content: Content, c: Context): Promise<Response> {
  const session = await authenticate(content.server, c.req.raw.headers);
  if (!session) return unauthorized(c);
  const wait = content.server.rates.take("uploads", session.userId);
  if (wait > 0) {
    content.server.metrics.limited.inc({ limit: "uploads" });
    return c.text(`Too many uploads: try again in ${wait} s`, 429, { "retry-after": String(wait) });
  }
  const declared = Number(c.req.header("content-length") ?? "0");
  if (declared > MAX_CONTENT_BYTES) return c.text("Content too large", 413);
  const contentType = (c.req.header("content-type") ?? "application/octet-stream").trim();
  if (contentType.length > MAX_CONTENT_TYPE || !MEDIA_TYPE.test(contentType)) {
    return c.text("Content-Type must be a media type (type/subtype)", 415);
  }
  const bytes = await readAtMost(c.req.raw, MAX_CONTENT_BYTES);
  if (!bytes) return c.text("Content too large", 413);
  if (bytes.length === 0) return c.text("Empty content", 400);

  const { repo } = content;
  const fits = (usage: Usage) => usage.bytes <= QUOTA_BYTES && usage.items <= QUOTA_ITEMS;
  const quotaUsedUp = () => c.text("Content quota used up: delete something first", 507);
  // Answered early from the usage as it is; the commit that counts the item checks it again.
  const usage = await repo.usage(session.userId);
  if (!fits({ bytes: usage.bytes + bytes.length, items: usage.items + 1 })) return quotaUsedUp();
  const item: ContentItem = {
    id: randomHex(16),
    owner: session.userId,
    contentType,
    size: bytes.length,
    createdAt: Date.now(),
  };
  const outcome = await repo.create(item, bytes, fits);
  if (outcome === "full") return quotaUsedUp();
  if (outcome === "busy") return busy(c);
  return c.json(describeItem(c, item), 201, { location: `/content/${item.id}` });
}

async function download(content: Content, c: Context): Promise<Response> {
  const session = await authenticate(content.server, c.req.raw.headers);
  if (!session) return unauthorized(c);
  const id = c.req.param("id") ?? "";
  const { repo } = content;
  const item = CONTENT_ID.test(id) ? await repo.get(id) : undefined;
  if (!item || !await mayRead(content, item, session.userId)) return notFound(c);
  const bytes = await repo.bytes(item);
  return new Response(bytes, {
    headers: {
      "content-type": item.contentType,
      "cache-control": "private",
      // Uploaded bytes are served as data, never as an active page of this origin.
      "x-content-type-options": "nosniff",
      "content-security-policy": "sandbox; default-src 'none'",
    },
  });
}

async function remove(content: Content, c: Context): Promise<Response> {
  const session = await authenticate(content.server, c.req.raw.headers);
  if (!session) return unauthorized(c);
  const id = c.req.param("id") ?? "";
  const { repo } = content;
  const item = CONTENT_ID.test(id) ? await repo.get(id) : undefined;
  if (!item) return notFound(c);
  if (item.owner !== session.userId) {
    return await mayRead(content, item, session.userId)
      ? c.text("Only the owner deletes content", 403)
      : notFound(c);
  }
  try {
    await repo.delete(item);
  } catch (error) {
    if (error instanceof UsageBusy) return busy(c);
    throw error;
  }
  return c.body(null, 204);
}

/** The owner's usage kept changing under the request (many uploads or deletes at once). */
function busy(c: Context): Response {
  return c.text("Busy with this user's other uploads: try again", 503, { "retry-after": "1" });
}

export function contentRoutes(app: Hono, content: Content): void {
  app.post("/content", (c) => upload(content, c));
  app.post("/content/", (c) => upload(content, c));
  app.get("/content/:id", (c) => download(content, c));
  app.delete("/content/:id", (c) => remove(content, c));
}
