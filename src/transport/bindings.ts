/**
 * Which binding a POST speaks, told by its Content-Type alone, so that both are served on any
 * path: Baraza posts SSP to `/` (a peer found by DNS SRV has a host and port, not a path) and
 * takes CSP on any path, and clients are often set up with the bare host. `POST /csp` and
 * `POST /ssp` stay their bindings' own paths whatever the type (a wrong one is answered 415).
 */
import type { Context, MiddlewareHandler } from "hono";
import { SSP_CONTENT_TYPE } from "../codec/ssp/message.ts";

export type Binding = "csp" | "ssp";

/** The binding of a media type: SSP's own, or any of CSP's (`application/vnd.wv.csp…`). */
export function bindingOf(contentType: string | undefined): Binding | undefined {
  const type = contentType?.split(";")[0].trim().toLowerCase() ?? "";
  if (type === SSP_CONTENT_TYPE) return "ssp";
  if (type.startsWith("application/vnd.wv.csp")) return "csp";
  return undefined;
}

/**
 * A route for any path that takes the POSTs of `binding` (their body size checked by `limit`
 * first) and lets every other request go on to the next route.
 */
export function routeFor(
  binding: Binding,
  limit: MiddlewareHandler,
  handler: (c: Context) => Promise<Response>,
): MiddlewareHandler {
  return async (c, next) => {
    if (bindingOf(c.req.header("content-type")) !== binding) return await next();
    let response: Response | undefined;
    const refused = await limit(c, async () => {
      response = await handler(c);
    });
    return refused ?? response;
  };
}
