/**
 * Content requests carry the CSP session they belong to: `x-wv-sessionid: <SessionID>` (the
 * header of the CSP HTTP binding) or `Authorization: Bearer <SessionID>`. A session answered as
 * valid to CSP is valid here; anything else is 401.
 */
import type { ServerContext } from "../../session/handler.ts";
import type { SessionRecord } from "../../store/sessions.ts";

/** Wider than the hex ids this server issues, narrow enough to keep hostile values out of KV keys. */
const SESSION_ID = /^[A-Za-z0-9_.#@-]{1,128}$/;

export function sessionIdOf(headers: Headers): string | undefined {
  const header = headers.get("x-wv-sessionid")?.trim();
  if (header) return header;
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(headers.get("authorization") ?? "");
  return bearer?.[1];
}

/** The caller's live session, kept alive by this request; undefined means 401. */
export async function authenticate(
  server: ServerContext,
  headers: Headers,
): Promise<SessionRecord | undefined> {
  const id = sessionIdOf(headers);
  if (!id || !SESSION_ID.test(id)) return undefined;
  const check = await server.sessions.check(id);
  if (check.state !== "valid") return undefined;
  return await server.sessions.touch(check.session);
}
