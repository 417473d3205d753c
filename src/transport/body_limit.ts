/**
 * Refuses request bodies over a size. A declared Content-Length is judged from the header alone
 * (the HTTP server never delivers more than it declares): Hono's bodyLimit looks at the body
 * stream first, which takes Deno off its fast path of handing over a fully received body at once
 * and costs every request a stream. Only a body of unknown length is counted as it streams.
 */
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";

export interface BodyLimitOptions {
  maxSize: number;
  onError: (c: Context) => Response | Promise<Response>;
}

export function limitBody(options: BodyLimitOptions): MiddlewareHandler {
  const counted = bodyLimit(options);
  return async (c, next) => {
    const declared = c.req.header("content-length");
    if (declared === undefined || c.req.header("transfer-encoding") !== undefined) {
      return await counted(c, next);
    }
    if (Number(declared) > options.maxSize) return await options.onError(c);
    await next();
  };
}
