/**
 * What a person (rather than an IMPS client) finds at the server's address: `GET /` says what
 * this is and where the endpoints are, and a browser pointed at `/csp` learns that CSP is posted.
 */
import type { Hono } from "hono";
import type { Config } from "../config.ts";
import { PRODUCT, VERSION } from "../version.ts";

const CSP_TYPES = "application/vnd.wv.csp.xml (1.1, 1.2) or application/vnd.wv.csp+xml (1.3)";

const escape = (text: string) =>
  text.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);

function landingPage(config: Config): string {
  const endpoints = [
    `<li><code>POST /csp</code>: CSP over HTTP for IMPS clients, as ${CSP_TYPES}</li>`,
    `<li><code>/content/</code>: shared content (POST to upload, GET and DELETE by id), ` +
    `with a live CSP session</li>`,
    `<li><a href="/healthz"><code>GET /healthz</code></a>: 200 while the store answers</li>`,
    config.adminToken
      ? `<li><code>GET /metrics</code> (Prometheus) and <code>/admin/</code> (the admin API), ` +
        `with the admin bearer token</li>`
      : `<li>metrics and the admin API: off (no IMPS_ADMIN_TOKEN)</li>`,
  ];
  if (config.federation) {
    endpoints.splice(2, 0, `<li><code>POST /ssp</code>: SSP from peer IMPS domains</li>`);
  }
  const title = `${PRODUCT} ${VERSION} for ${escape(config.domain)}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title}</title></head>
<body><h1>${title}</h1>
<p>An OMA IMPS (Wireless Village) server: instant messaging, presence, groups and shared content
for mobile and desktop clients speaking CSP 1.1, 1.2 or 1.3. Users are
<code>wv:name@${escape(config.domain)}</code>.</p>
<ul>
${endpoints.join("\n")}
</ul>
</body></html>
`;
}

/** `GET /` (the landing page) and 405 with a hint for anything but POST on `/csp`. */
export function landingRoutes(app: Hono, config: Config): void {
  const page = landingPage(config);
  app.get("/", (c) =>
    c.html(page, 200, {
      "content-security-policy": "default-src 'none'",
      "x-content-type-options": "nosniff",
    }));
  app.on(["GET", "PUT", "DELETE", "PATCH", "OPTIONS"], "/csp", (c) =>
    c.text(
      `405 Method Not Allowed: IMPS clients POST CSP messages here, as ${CSP_TYPES}. ` +
        `See / for the other endpoints.\n`,
      405,
      { allow: "POST" },
    ));
}
