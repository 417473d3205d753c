/**
 * The admin HTTP API under `/admin/`, served only when IMPS_ADMIN_TOKEN is set and only to
 * requests carrying it (`Authorization: Bearer …`; 401 otherwise). JSON in and out:
 *
 *     GET    /admin/users                     list users
 *     POST   /admin/users                     {"id", "password", "msisdn"?}: add (201; 409 if it
 *                                              exists)
 *     POST   /admin/users/import              CSV (text/csv) or JSON lines: add many
 *     GET    /admin/users/:id                 one user and their sessions
 *     PUT    /admin/users/:id/password        {"password"}
 *     PUT    /admin/users/:id/msisdn          {"msisdn"}: the phone number (null clears it)
 *     DELETE /admin/users/:id                 remove (their sessions get Disconnect 601)
 *     GET    /admin/sessions[?user=…]         live sessions (by ref, never the SessionID)
 *     DELETE /admin/sessions/:user[/:ref]     Disconnect 601 to the user's sessions (or one)
 *     POST   /admin/notices                   {"text", "users"?}: a notice to online users
 *     GET    /admin/groups, /admin/groups/:id; DELETE /admin/groups/:id
 *     GET    /admin/stats                     the metrics as JSON
 *
 * `deno task admin` runs the same operations (admin.ts).
 */
import type { Context, Hono } from "hono";
import { log } from "../observe/log.ts";
import type { GroupAdmin } from "../services/group/admin.ts";
import type { SystemNotices } from "../services/im/notices.ts";
import type { ServerContext } from "../session/handler.ts";
import { bearerMatches, unauthorized } from "../transport/observe_http.ts";
import { broadcast } from "./notices.ts";
import {
  type Accounts,
  addUser,
  AdminError,
  importUsers,
  kickSessions,
  listSessions,
  listUsers,
  removeUser,
  setMsisdn,
  setPassword,
  showUser,
  userIdOf,
} from "./users.ts";

/** Largest body the admin API reads (a bulk import of some ten thousand users). */
const MAX_ADMIN_BODY = 4 * 1024 * 1024;

/** What the admin API uses of the server's service elements (made per server, server.ts). */
export interface AdminServices {
  /** The group element's view of groups; absent: /admin/groups answers 404. */
  groups?: GroupAdmin;
  /** The IM element's notices for clients without SystemMessage. */
  notices?: SystemNotices;
  /** Finishes the account removals begun (what every element keeps for those users). */
  finishRemovals(): Promise<string[]>;
}

export function adminRoutes(app: Hono, server: ServerContext, services: AdminServices): void {
  const token = server.config.adminToken;
  if (!token) return;
  const accounts: Accounts = server;
  const admin = app.basePath("/admin");
  admin.use("*", async (c, next) => {
    if (!bearerMatches(c, token)) return unauthorized(c);
    await next();
  });

  admin.get("/users", answer(async (c) => c.json(await listUsers(accounts))));
  admin.post(
    "/users",
    answer(async (c) => {
      const { id, password, msisdn } = await jsonBody(c);
      const added = await addUser(
        accounts,
        text(id, "id"),
        text(password, "password"),
        msisdn === undefined ? undefined : text(msisdn, "msisdn"),
      );
      log.info("admin: user added", { user: added });
      return c.json({ id: added }, 201);
    }),
  );
  admin.post(
    "/users/import",
    answer(async (c) => {
      const type = c.req.header("content-type")?.split(";")[0].trim().toLowerCase() ?? "";
      const format = type === "text/csv" ? "csv" : "jsonl";
      const report = await importUsers(accounts, await bodyText(c), format);
      log.info("admin: users imported", {
        added: report.added.length,
        existing: report.existing.length,
        refused: report.refused.length,
      });
      return c.json(report);
    }),
  );
  admin.get(
    "/users/:id",
    answer(async (c) => c.json(await showUser(accounts, c.req.param("id")!))),
  );
  admin.put(
    "/users/:id/password",
    answer(async (c) => {
      const { password } = await jsonBody(c);
      const id = await setPassword(accounts, c.req.param("id")!, text(password, "password"));
      log.info("admin: password changed", { user: id });
      return c.json({ id });
    }),
  );
  admin.put(
    "/users/:id/msisdn",
    answer(async (c) => {
      const { msisdn } = await jsonBody(c);
      const number = msisdn === null ? undefined : text(msisdn, "msisdn");
      const id = await setMsisdn(accounts, c.req.param("id")!, number);
      log.info("admin: phone number " + (number ? "set" : "cleared"), { user: id });
      return c.json({ id, msisdn: number ?? null });
    }),
  );
  admin.delete(
    "/users/:id",
    answer(async (c) => {
      const id = userIdOf(accounts, c.req.param("id")!);
      const disconnected = await removeUser(accounts, id);
      await services.finishRemovals();
      log.info("admin: user removed", { user: id, disconnected });
      return c.json({ id, disconnected });
    }),
  );

  admin.get(
    "/sessions",
    answer(async (c) => {
      const user = c.req.query("user");
      return c.json(await listSessions(server.sessions, user && userIdOf(accounts, user)));
    }),
  );
  const kick = async (c: Context) => {
    const user = userIdOf(accounts, c.req.param("user")!);
    const kicked = await kickSessions(server, user, c.req.param("ref"));
    log.info("admin: sessions disconnected", { user, kicked });
    return c.json({ user, kicked });
  };
  admin.delete("/sessions/:user", answer(kick));
  admin.delete("/sessions/:user/:ref", answer(kick));

  admin.post(
    "/notices",
    answer(async (c) => {
      const body = await jsonBody(c);
      const users = body.users === undefined
        ? undefined
        : Array.isArray(body.users)
        ? body.users.map((u: unknown) => userIdOf(accounts, text(u, "users")))
        : badRequest("users must be a list of user ids");
      const sent = await broadcast(server, text(body.text, "text"), users, services.notices);
      log.info("admin: notice sent", { ...sent });
      return c.json(sent);
    }),
  );

  admin.get("/groups", answer(async (c) => c.json(await groupAdmin(services).list())));
  admin.get(
    "/groups/:id",
    answer(async (c) => {
      const detail = await groupAdmin(services).show(c.req.param("id")!);
      return detail ? c.json(detail) : c.json({ error: "no such group" }, 404);
    }),
  );
  admin.delete(
    "/groups/:id",
    answer(async (c) => {
      const id = c.req.param("id")!;
      if (!await groupAdmin(services).delete(id)) return c.json({ error: "no such group" }, 404);
      log.info("admin: group deleted", { group: id });
      return c.json({ id });
    }),
  );

  admin.get("/stats", answer(async (c) => c.json(await server.metrics.json())));
}

/** The handler, with an operation's refusal answered as `{"error": …}` and its status. */
function answer(handler: (c: Context) => Promise<Response>) {
  return async (c: Context): Promise<Response> => {
    try {
      return await handler(c);
    } catch (error) {
      if (error instanceof AdminError) return c.json({ error: error.message }, error.status);
      throw error;
    }
  };
}

function groupAdmin(services: AdminServices): GroupAdmin {
  const { groups } = services;
  if (!groups) throw new AdminError(404, "groups are not served");
  return groups;
}

function badRequest(message: string): never {
  throw new AdminError(400, message);
}

function text(value: unknown, name: string): string {
  if (typeof value !== "string" || value === "") badRequest(`${name} must be a non-empty string`);
  return value;
}

async function bodyText(c: Context): Promise<string> {
  const length = Number(c.req.header("content-length") ?? 0);
  if (length > MAX_ADMIN_BODY) badRequest(`the body is larger than ${MAX_ADMIN_BODY} bytes`);
  const body = await c.req.text();
  if (body.length > MAX_ADMIN_BODY) badRequest(`the body is larger than ${MAX_ADMIN_BODY} bytes`);
  return body;
}

// deno-lint-ignore no-explicit-any
async function jsonBody(c: Context): Promise<Record<string, any>> {
  try {
    const value = JSON.parse(await bodyText(c));
    if (value !== null && typeof value === "object" && !Array.isArray(value)) return value;
  } catch (error) {
    if (error instanceof AdminError) throw error;
  }
  return badRequest("the body must be a JSON object");
}
