/**
 * The SMS binding over HTTP: `POST /csp` with an `application/vnd.wv.csp.sms` body, answered in
 * kind (one PTS message; several, were there several, one a line). A client in Android's "SMS
 * authentication" mode goes on this way, or in XML, once logged in by SMS.
 */
import type { Context } from "hono";
import { PTS_CONTENT_TYPE, PtsSyntaxError } from "../../codec/sms/mod.ts";
import type { RequestOrigin } from "../../session/handler.ts";
import type { ServerContext } from "../../session/server_context.ts";
import type { SmsRepo } from "../../store/sms.ts";
import { exchangePts } from "./pts.ts";

const utf8 = new TextDecoder("utf-8", { fatal: true });

export async function ptsOverHttp(
  c: Context,
  server: ServerContext,
  numbers: SmsRepo,
  maxBytes: number,
  clientAddress: string | undefined,
  origin: RequestOrigin,
): Promise<Response> {
  const bytes = new Uint8Array(await c.req.arrayBuffer());
  if (bytes.length > maxBytes) return c.text("Request body too large", 413);
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return c.text("Malformed PTS: not UTF-8", 400);
  }
  try {
    const session = /(?:^| )SI=([^ ]+)/.exec(text)?.[1];
    if (session) server.hooks.smsSessions?.seenOverHttp(session);
    const { answers } = await exchangePts(server, numbers, text, {
      clientAddress,
      limits: { maxLength: maxBytes, maxDepth: 16, maxValues: 8192 },
      origin,
    });
    const headers = { "content-type": PTS_CONTENT_TYPE };
    if (answers.length === 0) return c.body(null, 200, headers);
    return c.body(answers.join("\n"), 200, headers);
  } catch (error) {
    if (error instanceof PtsSyntaxError) {
      return c.text(`Malformed PTS at character ${error.offset}: ${error.message}`, 400);
    }
    throw error;
  }
}
