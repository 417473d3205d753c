/**
 * What the HTTP listener tells operators: an access line per request (method, path, status, the
 * CSP primitives and user, duration, client address; never headers, bodies or session ids), the
 * request counter by route and status, and `GET /metrics` behind the admin bearer token.
 */
import type { Context, Hono, MiddlewareHandler } from "hono";
import type { Config } from "../config.ts";
import { log } from "../observe/log.ts";
import type { Metrics } from "../observe/metrics.ts";
import type { Observed } from "../session/dispatcher.ts";
import { constantTimeEqual } from "../util/crypto.ts";

declare module "hono" {
  interface ContextVariableMap {
    /** Filled in by the CSP endpoint for the access line. */
    observed: Observed;
  }
}

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

/** Counts and logs every request once it is answered. */
export function accessLog(metrics: Metrics): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now();
    const observed: Observed = {};
    c.set("observed", observed);
    await next();
    const path = c.req.path;
    metrics.httpRequest(routeOf(path), c.res.status);
    if (!log.enabled("info")) return;
    log.access(`${c.req.method} ${loggedPath(path)}`, {
      status: c.res.status,
      primitive: observed.primitive,
      user: observed.user,
      ms: Math.round((performance.now() - started) * 100) / 100,
      addr: clientAddress(c),
    });
  };
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
