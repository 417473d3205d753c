/**
 * Account operations shared by the admin API (`/admin/users…`) and `deno task admin user …`:
 * add, change the password or the phone number (MSISDN), remove, list, show and import in bulk. They work on the store, so
 * the command runs them with or without a server running.
 */
import { AccountError, credentials, localUserId } from "../accounts.ts";
import type { Config } from "../config.ts";
import type { SessionLifecycle } from "../session/lifecycle.ts";
import { beginRemoval, removalPending } from "../services/accounts.ts";
import type { Store } from "../store/kv.ts";
import type { UserRepo } from "../store/users.ts";
import type { Sealer } from "../util/crypto.ts";
import { isMsisdn } from "../util/msisdn.ts";

export interface Accounts {
  config: Config;
  store: Store;
  users: UserRepo;
  sessions: SessionLifecycle;
  sealer: Sealer;
}

/** An operation refused: the HTTP status the API answers with, and why. */
export class AdminError extends Error {
  constructor(readonly status: 400 | 404 | 409, message: string) {
    super(message);
    this.name = "AdminError";
  }
}

export interface UserSummary {
  id: string;
  createdAt: string;
  /** The phone number wake-up SMS go to, when the operator set one. */
  msisdn?: string;
}

export interface UserDetail extends UserSummary {
  /** Whether a digest login can be checked (a password sealed under the current key). */
  digestLogin: boolean;
  sessions: SessionSummary[];
}

/** A session as operators see it: `ref` names it without its SessionID (which is a secret). */
export interface SessionSummary {
  ref: string;
  user: string;
  version: string;
  createdAt: string;
  expiresAt: string;
  client?: string;
}

/** The id of a user of this domain, or 400. */
export function userIdOf(accounts: Accounts, raw: string): string {
  try {
    return localUserId(raw, accounts.config.domain);
  } catch (error) {
    if (error instanceof AccountError) throw new AdminError(400, error.message);
    throw error;
  }
}

/** The phone number as given (digits, a leading + for an international one), or 400. */
function checkedMsisdn(msisdn: string): string {
  if (!isMsisdn(msisdn)) {
    throw new AdminError(
      400,
      "a phone number is digits, with a leading + for an international one",
    );
  }
  return msisdn;
}

export async function addUser(
  accounts: Accounts,
  raw: string,
  password: string,
  msisdn?: string,
): Promise<string> {
  const id = userIdOf(accounts, raw);
  if (password === "") throw new AdminError(400, "the password is empty");
  if (msisdn !== undefined) {
    checkedMsisdn(msisdn);
    const holder = await accounts.users.byMsisdn(msisdn);
    if (holder) throw new AdminError(409, `${msisdn} is the phone number of ${holder}`);
  }
  if (await removalPending(accounts.store, id)) {
    throw new AdminError(
      409,
      `${id} is still being removed: the running server finishes it within 15 seconds (or at ` +
        "its next start)",
    );
  }
  const created = await accounts.users.create({
    id,
    ...await credentials(password, id, accounts.sealer),
    createdAt: Date.now(),
    ...msisdn === undefined ? {} : { msisdn },
  });
  if (!created) throw new AdminError(409, `${id} already exists`);
  return id;
}

export async function setPassword(accounts: Accounts, raw: string, password: string) {
  const id = userIdOf(accounts, raw);
  if (password === "") throw new AdminError(400, "the password is empty");
  const user = await accounts.users.get(id);
  if (!user) throw new AdminError(404, `no user ${id}`);
  await accounts.users.put({ ...user, ...await credentials(password, id, accounts.sealer) });
  return id;
}

/** Sets the user's phone number (where WAPSMS and SSMS wake-ups go), or clears it (undefined). */
export async function setMsisdn(accounts: Accounts, raw: string, msisdn: string | undefined) {
  const id = userIdOf(accounts, raw);
  if (msisdn !== undefined) checkedMsisdn(msisdn);
  const outcome = await accounts.users.setMsisdn(id, msisdn);
  if (outcome === "no user") throw new AdminError(404, `no user ${id}`);
  if (outcome === "taken") {
    throw new AdminError(
      409,
      `${msisdn} is the phone number of ${await accounts.users.byMsisdn(msisdn!)}`,
    );
  }
  return id;
}

/**
 * Removes the account at once; its sessions get Disconnect 601 (resolves with how many there
 * were), and the server deletes the rest of its data (services/accounts.ts).
 */
export async function removeUser(accounts: Accounts, raw: string): Promise<number> {
  const id = userIdOf(accounts, raw);
  if (!await accounts.users.get(id)) throw new AdminError(404, `no user ${id}`);
  return await beginRemoval(accounts.store, accounts.sessions, id);
}

export async function listUsers(accounts: Accounts): Promise<UserSummary[]> {
  return (await accounts.users.list()).map((u) => ({
    id: u.id,
    createdAt: new Date(u.createdAt).toISOString(),
    msisdn: u.msisdn,
  }));
}

export async function showUser(accounts: Accounts, raw: string): Promise<UserDetail> {
  const id = userIdOf(accounts, raw);
  const user = await accounts.users.get(id);
  if (!user) throw new AdminError(404, `no user ${id}`);
  const sealed = user.sealedPassword &&
    await accounts.sealer.open(user.sealedPassword, user.id) !== undefined;
  return {
    id,
    createdAt: new Date(user.createdAt).toISOString(),
    msisdn: user.msisdn,
    digestLogin: sealed === true,
    sessions: await listSessions(accounts.sessions, id),
  };
}

/** The live sessions of one user, or of all. */
export async function listSessions(
  sessions: SessionLifecycle,
  userId?: string,
): Promise<SessionSummary[]> {
  const out = [];
  for (const s of await sessions.list(userId)) {
    const url = (s.clientId as { URL?: unknown } | undefined)?.URL;
    out.push({
      ref: await sessionRef(s.id),
      user: s.userId,
      version: s.version,
      createdAt: new Date(s.createdAt).toISOString(),
      expiresAt: new Date(s.expiresAt).toISOString(),
      client: typeof url === "string" ? url : undefined,
    });
  }
  return out;
}

/** What names a session to operators: the first 12 hex digits of its SessionID's SHA-256. */
export async function sessionRef(sessionId: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(sessionId));
  return [...new Uint8Array(digest).subarray(0, 6)]
    .map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Ends a user's sessions with Disconnect 601 at their next request: all of them, or the one
 * `ref` names. Resolves with how many were marked.
 */
export async function kickSessions(
  accounts: Pick<Accounts, "config" | "sessions">,
  raw: string,
  ref?: string,
): Promise<number> {
  const id = userIdOf(accounts as Accounts, raw);
  let kicked = 0;
  for (const session of await accounts.sessions.list(id)) {
    if (ref !== undefined && await sessionRef(session.id) !== ref) continue;
    await accounts.sessions.update(session, {
      disconnect: { code: 601, description: "Disconnected by the administrator" },
    });
    kicked++;
  }
  if (kicked === 0) {
    throw new AdminError(404, ref ? `no session ${ref} of ${id}` : `${id} has no session`);
  }
  return kicked;
}

export interface ImportReport {
  added: string[];
  existing: string[];
  /** Lines that could not be used, with why (never the password). */
  refused: string[];
}

interface ImportLine {
  line: number;
  id: string;
  password: string;
  msisdn?: string;
}

/**
 * Adds the users of a CSV file (`user-id,password[,msisdn]` a line; a first line naming the
 * columns, blank lines and `#` comments are skipped) or of JSON lines
 * (`{"id": …, "password": …, "msisdn"?: …}`).
 * Users that exist are left as they are.
 */
export async function importUsers(
  accounts: Accounts,
  text: string,
  format: "csv" | "jsonl",
): Promise<ImportReport> {
  const report: ImportReport = { added: [], existing: [], refused: [] };
  const lines: ImportLine[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.replace(/\r$/, "");
    if (line.trim() === "" || line.trimStart().startsWith("#")) return;
    const parsed = format === "csv" ? csvLine(line) : jsonLine(line);
    if (!parsed) {
      if (!(format === "csv" && i === 0 && /^\s*"?(user|id)/i.test(line))) {
        report.refused.push(
          `line ${i + 1}: expected ${
            format === "csv" ? "user-id,password[,msisdn]" : '{"id": …, "password": …}'
          }`,
        );
      }
      return;
    }
    lines.push({ line: i + 1, ...parsed });
  });
  for (const { line, id: raw, password, msisdn } of lines) {
    try {
      report.added.push(await addUser(accounts, raw, password, msisdn));
    } catch (error) {
      if (error instanceof AdminError && error.status === 409) report.existing.push(raw);
      else if (error instanceof AdminError) report.refused.push(`line ${line}: ${error.message}`);
      else throw error;
    }
  }
  return report;
}

type Parsed = { id: string; password: string; msisdn?: string };

function csvLine(line: string): Parsed | undefined {
  const fields: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') field += line[++i];
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === "") quoted = true;
    else if (c === ",") {
      fields.push(field);
      field = "";
    } else field += c;
  }
  fields.push(field);
  const [id, password, msisdn] = fields.map((f) => f.trim());
  if (!id || !password || /^(user(-?id)?|id)$/i.test(id)) return undefined;
  return msisdn ? { id, password, msisdn } : { id, password };
}

function jsonLine(line: string): Parsed | undefined {
  try {
    const value = JSON.parse(line);
    if (typeof value?.id === "string" && typeof value?.password === "string") {
      if (typeof value.msisdn === "string") {
        return { id: value.id, password: value.password, msisdn: value.msisdn };
      }
      if (value.msisdn === undefined) return { id: value.id, password: value.password };
    }
  } catch {
    // refused below
  }
  return undefined;
}
