/**
 * What the HTTP listener tells operators: an access line per request (method, path, status, the
 * CSP primitives and user, duration, client address; never headers, bodies or session ids), the
 * request counter by route and status, and `GET /metrics` behind the admin bearer token.
 */
import type { Context, Hono } from "hono";
import type { Config } from "../config.ts";
import { log } from "../observe/log.ts";
import type { Metrics } from "../observe/metrics.ts";
import type { Observed } from "../session/dispatcher.ts";
import { constantTimeEqual } from "../util/crypto.ts";

const ROUTES = ["/csp", "/ssp", "/content/", "/cir/", "/admin/", "/metrics", "/healthz"];
const ROUTE_LABELS = ROUTES.map((route) => route.replace(/\/$/, ""));
const MAX_LOGGED_PATH = 200;

/** The route a path counts under: one of a fixed few, so a scanner cannot grow the labels. */
function routeOf(path: string): string {
  if (path === "/") return "/";
  for (let i = 0; i < ROUTES.length; i++) if (path.startsWith(ROUTES[i])) return ROUTE_LABELS[i];
  return "other";
}

/** The path as logged: an SHTTP CIR URL's token (a secret of the session, as its SessionID is)
 * left out. */
function loggedPath(path: string): string {
  if (path.startsWith("/cir/") && path !== "/cir/ws") return "/cir/<token>";
  return path.slice(0, MAX_LOGGED_PATH);
}

/** The client's IP address, from what Deno.serve hands the app (absent in other hosts). */
export function clientAddress(c: Context): string | undefined {
  const info = c.env as { remoteAddr?: { hostname?: string } } | undefined;
  return info?.remoteAddr?.hostname;
}

/** Where a request carries its record for the access line (see `observedOf`). */
const OBSERVED = Symbol("observed");

/** The record the CSP endpoint fills in for the access line of its request, if it gets one. */
export function observedOf(request: Request): Observed | undefined {
  return (request as { [OBSERVED]?: Observed })[OBSERVED];
}

/** What serves the app: `app.fetch`, as Deno.serve calls it. */
export type Fetch = (
  request: Request,
  env?: unknown,
  executionCtx?: never,
) => Response | Promise<Response>;

/**
 * `fetch` (the app's) counting and logging every request once it is answered. A wrapper rather
 * than a Hono middleware: a middleware makes Hono compose handlers for every route and keep a
 * variable map per request, which cost more than the count and the line; the record the CSP
 * endpoint fills in travels on the request itself. The clock is read only for an access line.
 */
export function observeRequests<F extends Fetch>(fetch: F, metrics: Metrics): F {
  const observed = async (request: Request, env?: unknown, executionCtx?: never) => {
    const logged = log.enabled("info");
    const started = logged ? performance.now() : 0;
    const record: Observed = { primitive: undefined, user: undefined };
    (request as { [OBSERVED]?: Observed })[OBSERVED] = record;
    // Read before the request is answered: once a WebSocket upgrade is, `deno serve`'s info has
    // no address any more (its getter throws).
    const addr = logged
      ? (env as { remoteAddr?: { hostname?: string } } | undefined)?.remoteAddr?.hostname
      : undefined;
    const response = await fetch(request, env, executionCtx);
    const path = pathOf(request.url);
    metrics.httpRequest(routeOf(path), response.status);
    if (logged) {
      log.access(`${request.method} ${loggedPath(path)}`, {
        status: response.status,
        primitive: record.primitive,
        user: record.user,
        ms: Math.round((performance.now() - started) * 100) / 100,
        addr,
      });
    }
    return response;
  };
  return observed as F;
}

/** The path of an absolute URL (as a request's is), without its query. */
function pathOf(url: string): string {
  const start = url.indexOf("/", url.indexOf("://") + 3);
  if (start === -1) return "/";
  const query = url.indexOf("?", start);
  return url.slice(start, query === -1 ? undefined : query);
}

const encoder = new TextEncoder();

/** Whether the request carries `Authorization: Bearer <token>` (compared in constant time). */
export function bearerMatches(c: Context, token: string): boolean {
  const header = c.req.header("authorization") ?? "";
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match !== null && constantTimeEqual(encoder.encode(match[1]), encoder.encode(token));
}

/** 401 for a request without the admin token. */
export const unauthorized = (c: Context) =>
  c.text("Unauthorized: Authorization: Bearer <IMPS_ADMIN_TOKEN>", 401, {
    "www-authenticate": 'Bearer realm="imps-admin"',
  });

/** `GET /metrics` in the Prometheus text format; only with IMPS_ADMIN_TOKEN set. */
export function metricsRoute(app: Hono, config: Config, metrics: Metrics): void {
  const token = config.adminToken;
  if (!token) return;
  app.get("/metrics", async (c) => {
    if (!bearerMatches(c, token)) return unauthorized(c);
    return c.body(await metrics.text(), 200, { "content-type": metrics.contentType });
  });
}
