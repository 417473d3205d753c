/**
 * Operator commands: `deno task admin user add|list|passwd|del`, `key rotate`, `backup` and
 * `restore`. They open the same store as the server (IMPS_DATA), so the server's settings apply;
 * the user commands and backup may run beside the server, key rotate and restore refuse to.
 */
import { AccountError } from "./accounts.ts";
import {
  type Accounts,
  addUser,
  AdminError,
  importUsers,
  listUsers,
  removeUser,
  type SessionSummary,
  setMsisdn,
  setPassword,
  showUser,
  userIdOf,
} from "./admin/users.ts";
import { type Config, ConfigError, loadConfig } from "./config.ts";
import { SessionLifecycle } from "./session/lifecycle.ts";
import { claimStoreDomain, StoreDomainMismatch } from "./store/domain.ts";
import { Store } from "./store/kv.ts";
import { lockStoreFile, StoreInUse } from "./store/lock.ts";
import { OutboxRepo } from "./store/outbox.ts";
import { SessionRepo } from "./store/sessions.ts";
import {
  describeKey,
  keyFilePath,
  loadServerKey,
  newKey,
  type ServerKey,
  ServerKeyError,
} from "./store/server_key.ts";
import { createKeyFile, replaceKeyFile } from "./store/server_key_file.ts";
import { UserRepo } from "./store/users.ts";
import { Sealer } from "./util/crypto.ts";
import { isMsisdn } from "./util/msisdn.ts";

const USAGE = `usage: deno task admin <command>
  user add <user-id> [--msisdn <number>]
                           create a user (user-id: name or wv:name@domain), with the phone
                           number its SMS come from
  user passwd <user-id>    set a new password
  user msisdn <user-id> <number|->
                           set (or, with -, clear) the user's phone number: its SMS are the
                           user's, and wake-up SMS go to it; one user's only
  user del <user-id>       remove a user and end its sessions
  user list                list users
  user show <user-id>      a user and their sessions, as JSON
  user import <file>       add the users of a CSV file (user-id,password[,msisdn] a line) or of
                           JSON lines ({"id": ..., "password": ..., "msisdn": ...}, msisdn
                           optional; a .jsonl file, or --jsonl)
  key rotate               seal every password under a new server key (the server must be
                           stopped; with IMPS_SECRET, the new key comes from IMPS_NEW_SECRET)
  backup <file>            copy the store (a KV file, and its key file) into a new file, also
                           while the server runs
  restore <file>           replace the store with a backup (the server must be stopped)

Through the running server's admin API (IMPS_ADMIN_TOKEN set for both):
  sessions list [<user-id>]          live sessions (each named by a ref, not its SessionID)
  sessions kick <user-id> [<ref>]    Disconnect 601 to the user's sessions (or the one)
  notice <text> [--to <id>,<id>]     a notice to the users online (all, or those named)
  groups list | show <id> | del <id> the groups; deleting tells their joined users
  stats                              the server's metrics as JSON

The password is asked for at the terminal, or read from the first line of stdin when that is
not a terminal (printf '%s\\n' "$PW" | deno task admin user add alice). --password <pw> also
works, but leaves the password in the shell history, the process list and deno task's echo of
the command line.`;

export class UsageError extends Error {}

/** How the admin command talks to the operator (a terminal, stdin, or a test). */
export interface AdminIo {
  /** The password, asked with `prompt` at a terminal (twice for a new one) or read from stdin. */
  password(prompt: string, confirm: boolean): Promise<string>;
  warn(message: string): void;
}

export async function runAdmin(
  args: string[],
  env: Record<string, string | undefined>,
  io: AdminIo = consoleIo,
): Promise<string> {
  const config = loadConfig(env);
  const [area, command, rawId, ...rest] = args;
  if (area === "backup" && command && !rawId) return await backup(config.dataPath, command);
  if (area === "restore" && command && !rawId) return await restore(config.dataPath, command);
  if (area === "key" && command === "rotate") return await rotateKey(config, env);
  if (LIVE_COMMANDS.has(area)) return await runLive(config, args);
  if (area !== "user" || !command) throw new UsageError(USAGE);
  if (config.dataPath === ":memory:") {
    throw new UsageError(
      "IMPS_DATA is :memory:, which lives inside the server process: the admin command cannot " +
        "reach it. List the users in a file named by IMPS_USERS instead.",
    );
  }
  const key = await loadServerKey(config);
  const store = await Store.open(config.dataPath);
  try {
    await claimStoreDomain(store, config.dataPath, config.domain);
    const accounts: Accounts = {
      config,
      store,
      users: new UserRepo(store),
      sessions: new SessionLifecycle(config, store, new SessionRepo(store), new OutboxRepo(store)),
      sealer: await Sealer.fromSecret(key.secret),
    };
    const where = config.dataPath;
    if (command === "list") {
      const all = await listUsers(accounts);
      return all.map((u) => u.id).join("\n") || `(no users in ${where})`;
    }
    if (!rawId) throw new UsageError(USAGE);
    const newPassword = async (id: string) => {
      const password = passwordArg(rest, io) ?? await io.password(`Password for ${id}: `, true);
      if (password === "") throw new UsageError("the password is empty");
      return password;
    };
    switch (command) {
      case "add": {
        const id = userIdOf(accounts, rawId);
        if (await accounts.users.get(id)) throw new UsageError(`${id} already exists in ${where}`);
        const msisdn = msisdnArg(rest);
        await addUser(accounts, id, await newPassword(id), msisdn);
        return `added ${id} to ${where}${msisdn ? ` with phone number ${msisdn}` : ""}${
          key.created ? ` (${describeKey(key)})` : ""
        }`;
      }
      case "passwd": {
        const id = userIdOf(accounts, rawId);
        if (!await accounts.users.get(id)) throw new UsageError(`no user ${id} in ${where}`);
        await setPassword(accounts, id, await newPassword(id));
        return `password of ${id} changed`;
      }
      case "msisdn": {
        const number = rest[0];
        if (number === undefined) throw new UsageError("give a phone number, or - to clear it");
        const id = await setMsisdn(accounts, rawId, number === "-" ? undefined : number);
        return number === "-" ? `${id} has no phone number` : `phone number of ${id} is ${number}`;
      }
      case "del": {
        const id = userIdOf(accounts, rawId);
        const ended = await removeUser(accounts, id);
        return `removed ${id}${ended ? ` (${ended} session(s) disconnected)` : ""}; ` +
          "the server deletes the rest of its data within 15 seconds";
      }
      case "show":
        return JSON.stringify(await showUser(accounts, rawId), null, 2);
      case "import": {
        const format = rest.includes("--jsonl") || /\.jsonl?$/.test(rawId) ? "jsonl" : "csv";
        const report = await importUsers(accounts, await Deno.readTextFile(rawId), format);
        return [
          `added ${report.added.length} user(s) to ${where}` +
          (report.existing.length ? `, ${report.existing.length} existed already` : ""),
          ...report.refused.map((why) => `refused ${why}`),
        ].join("\n");
      }
      default:
        throw new UsageError(USAGE);
    }
  } catch (error) {
    if (error instanceof AdminError) {
      throw new UsageError(
        error.status === 400 ? error.message : `${error.message} in ${config.dataPath}`,
      );
    }
    throw error;
  } finally {
    await store.close();
  }
}

/** Commands about what the running server does: sent to its admin API. */
const LIVE_COMMANDS = new Set(["sessions", "notice", "groups", "stats"]);

/**
 * Runs a command through the running server's admin API (on IMPS_HOST:IMPS_PORT, with
 * IMPS_ADMIN_TOKEN): sessions, notices, groups and stats live in the server.
 */
async function runLive(config: Config, args: string[]): Promise<string> {
  const token = config.adminToken;
  if (!token) {
    throw new UsageError(
      `${args[0]} goes through the running server's admin API, which is off: set ` +
        "IMPS_ADMIN_TOKEN (the same for the server and this command)",
    );
  }
  const host = ["0.0.0.0", "::"].includes(config.host) ? "127.0.0.1" : config.host;
  const base = `${config.tlsCert ? "https" : "http"}://${
    host.includes(":") ? `[${host}]` : host
  }:${config.port}/admin`;
  const call = async (method: string, path: string, body?: unknown) => {
    let response: Response;
    try {
      response = await fetch(base + path, {
        method,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw new UsageError(`no server answers at ${base}: ${(error as Error).message}`);
    }
    const value = await response.json().catch(() => undefined);
    if (!response.ok) {
      throw new UsageError(value?.error ?? `the server answered ${response.status}`);
    }
    return value;
  };
  const [area, command, ...rest] = args;
  const enc = encodeURIComponent;
  const json = (value: unknown) => JSON.stringify(value, null, 2);
  if (area === "stats" && !command) return json(await call("GET", "/stats"));
  if (area === "sessions" && command === "list") {
    const sessions: SessionSummary[] = await call(
      "GET",
      `/sessions${rest[0] ? `?user=${enc(rest[0])}` : ""}`,
    );
    return sessions.map((s) =>
      `${s.ref}  ${s.user}  CSP ${s.version}  since ${s.createdAt}  until ${s.expiresAt}` +
      (s.client ? `  ${s.client}` : "")
    ).join("\n") || "(no sessions)";
  }
  if (area === "sessions" && command === "kick" && rest[0]) {
    const { user, kicked } = await call(
      "DELETE",
      `/sessions/${enc(rest[0])}${rest[1] ? `/${enc(rest[1])}` : ""}`,
    );
    return `${kicked} session(s) of ${user} get Disconnect 601`;
  }
  if (area === "notice" && command) {
    const to = rest.indexOf("--to");
    const users = to === -1 ? undefined : rest[to + 1]?.split(",").filter(Boolean);
    const sent = await call("POST", "/notices", { text: command, users });
    return `notice sent: ${sent.systemMessages} user(s) as SystemMessage (${sent.sessions} ` +
      `session(s)), ${sent.messages} as a message from ${config.systemUser}`;
  }
  if (area === "groups" && command === "list") {
    const groups: { id: string; owner: string }[] = await call("GET", "/groups");
    return groups.map((g) => `${g.id}  owner ${g.owner}`).join("\n") || "(no groups)";
  }
  if (area === "groups" && command === "show" && rest[0]) {
    return json(await call("GET", `/groups/${enc(rest[0])}`));
  }
  if (area === "groups" && command === "del" && rest[0]) {
    await call("DELETE", `/groups/${enc(rest[0])}`);
    return `deleted ${rest[0]}; its joined users were told`;
  }
  throw new UsageError(USAGE);
}

/**
 * Seals every stored password under a new key. With the key file, the new key is written beside
 * it first (`<key file>.new`) and moved into place at the end, so a rotation cut short is taken
 * up again by running the command again; a password already sealed under the new key is left
 * as it is. Under the server's lock: a running server would keep sealing under the old key.
 */
async function rotateKey(config: Config, env: Record<string, string | undefined>) {
  const current = await loadServerKey(config);
  const lock = isFile(config.dataPath) ? await lockAsOperator(config.dataPath) : undefined;
  try {
    return await resealUnderNewKey(config, env, current);
  } finally {
    lock?.close();
  }
}

async function resealUnderNewKey(
  config: Config,
  env: Record<string, string | undefined>,
  current: ServerKey,
): Promise<string> {
  let next: string;
  let pending: string | undefined;
  if (current.source === "IMPS_SECRET") {
    next = env.IMPS_NEW_SECRET?.trim() ?? "";
    if (next.length < 16) {
      throw new UsageError(
        "IMPS_SECRET is set: give the new key (16+ characters) in IMPS_NEW_SECRET, then start " +
          "the server with IMPS_SECRET set to it",
      );
    }
  } else if (current.source === "file") {
    pending = `${current.path}.new`;
    await createKeyFile(pending, newKey());
    next = (await Deno.readTextFile(pending)).trim();
  } else {
    throw new UsageError("a :memory: store keeps nothing to rotate");
  }
  const [from, to] = [await Sealer.fromSecret(current.secret), await Sealer.fromSecret(next)];
  const store = await Store.open(config.dataPath);
  let resealed = 0;
  try {
    const users = new UserRepo(store);
    for (const user of await users.list()) {
      if (!user.sealedPassword) continue;
      const password = await from.open(user.sealedPassword, user.id);
      if (password === undefined) continue; // already under the new key, or under none we have
      await users.put({ ...user, sealedPassword: await to.seal(password, user.id) });
      resealed++;
    }
  } finally {
    await store.close();
  }
  if (pending) await replaceKeyFile(current.path!, next).then(() => Deno.remove(pending!));
  return `${resealed} password(s) sealed again under the new key` +
    (pending ? ` (${current.path})` : "; now start the server with IMPS_SECRET set to it");
}

/** The server's lock on the store, so that no server starts meanwhile; refused while one runs. */
async function lockAsOperator(dataPath: string): Promise<Deno.FsFile> {
  try {
    return await lockStoreFile(dataPath);
  } catch (error) {
    if (error instanceof StoreInUse) throw new UsageError(`${error.message}; stop it first`);
    throw error;
  }
}

function msisdnArg(rest: string[]): string | undefined {
  const i = rest.indexOf("--msisdn");
  if (i === -1) return undefined;
  const number = rest[i + 1];
  if (number === undefined || !isMsisdn(number)) {
    throw new UsageError(
      "--msisdn needs a phone number (digits, + first for an international one)",
    );
  }
  return number;
}

/** `--password <pw>` if given (with a warning: the value is seen by others). */
function passwordArg(rest: string[], io: AdminIo): string | undefined {
  const i = rest.indexOf("--password");
  if (i === -1) return undefined;
  const password = rest[i + 1];
  if (!password) throw new UsageError("--password needs a value");
  io.warn(
    "warning: --password is visible in the process list, the shell history and deno task's " +
      "echo of the command; give the password on stdin instead",
  );
  return password;
}

/**
 * A consistent copy of the store: SQLite's online backup, all pages in one step (one read
 * transaction), so it works while the server writes.
 */
async function backup(dataPath: string, target: string): Promise<string> {
  if (!isFile(dataPath)) throw new UsageError(`backup copies a KV file; IMPS_DATA is ${dataPath}`);
  if (!await exists(dataPath)) throw new UsageError(`no store at ${dataPath} (IMPS_DATA)`);
  if (await exists(target)) throw new UsageError(`${target} exists: name a new file`);
  const dir = target.replace(/[/\\][^/\\]*$/, "");
  if (dir && dir !== target) await Deno.mkdir(dir, { recursive: true });
  const sqlite = await import("node:sqlite");
  const db = new sqlite.DatabaseSync(dataPath, { readOnly: true });
  try {
    await sqlite.backup(db, target, { rate: -1 });
  } finally {
    db.close();
  }
  // The key sealing the passwords for digest login goes with them, where the server looks.
  const key = keyFilePath(dataPath)!;
  const withKey = await exists(key);
  if (withKey) await createKeyFile(keyFilePath(target)!, (await Deno.readTextFile(key)).trim());
  return `backed up ${dataPath}${withKey ? " and its server key" : ""} to ${target} ` +
    `(${(await Deno.stat(target)).size} bytes)`;
}

/**
 * Puts a backup in the store's place. Under the server's lock, so never while a server runs;
 * the old store's write-ahead log goes with it (SQLite would apply it to the restored file).
 */
async function restore(dataPath: string, source: string): Promise<string> {
  if (!isFile(dataPath)) {
    throw new UsageError(`restore replaces a KV file; IMPS_DATA is ${dataPath}`);
  }
  if (!await exists(source)) throw new UsageError(`no backup at ${source}`);
  const dir = dataPath.replace(/[/\\][^/\\]*$/, "");
  if (dir && dir !== dataPath) await Deno.mkdir(dir, { recursive: true });
  const lock = await lockAsOperator(dataPath);
  const sourceKey = keyFilePath(source)!;
  const withKey = await exists(sourceKey);
  try {
    // Copied beside the store, then renamed over it: a failed copy leaves the store as it was.
    await Deno.copyFile(source, `${dataPath}.restoring`);
    for (const suffix of ["-wal", "-shm"]) await Deno.remove(dataPath + suffix).catch(() => {});
    await Deno.rename(`${dataPath}.restoring`, dataPath);
    if (withKey) {
      await replaceKeyFile(keyFilePath(dataPath)!, (await Deno.readTextFile(sourceKey)).trim());
    }
  } finally {
    lock.close();
  }
  return `restored ${dataPath}${withKey ? " and its server key" : ""} from ${source}`;
}

const isFile = (dataPath: string) => dataPath !== ":memory:" && !/^https?:\/\//.test(dataPath);

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** Reads a password at the terminal without echo, or the first line of stdin. */
const consoleIo: AdminIo = {
  async password(prompt, confirm) {
    if (!Deno.stdin.isTerminal()) {
      const text = await new Response(Deno.stdin.readable).text();
      const line = text.split("\n")[0].replace(/\r$/, "");
      if (line === "") throw new UsageError("no password: none given on stdin");
      return line;
    }
    const password = await readHidden(prompt);
    if (confirm && await readHidden("Repeat it: ") !== password) {
      throw new UsageError("the passwords differ");
    }
    return password;
  },
  warn: (message) => console.error(message),
};

/** One line typed at the terminal, not echoed. */
async function readHidden(prompt: string): Promise<string> {
  const encoder = new TextEncoder();
  // Echo goes off before the prompt shows: what is typed as soon as it shows is not echoed.
  Deno.stdin.setRaw(true);
  const typed: number[] = [];
  const buffer = new Uint8Array(64);
  try {
    await Deno.stderr.write(encoder.encode(prompt));
    for (;;) {
      const n = await Deno.stdin.read(buffer);
      if (n === null) break;
      for (const byte of buffer.subarray(0, n)) {
        if (byte === 0x0d || byte === 0x0a) return new TextDecoder().decode(new Uint8Array(typed));
        if (byte === 0x03 || byte === 0x04) throw new UsageError("cancelled");
        if (byte === 0x7f || byte === 0x08) {
          // Drops the last character, all of its UTF-8 bytes.
          let dropped;
          do dropped = typed.pop(); while (dropped !== undefined && (dropped & 0xc0) === 0x80);
        } else typed.push(byte);
      }
    }
    return new TextDecoder().decode(new Uint8Array(typed));
  } finally {
    Deno.stdin.setRaw(false);
    await Deno.stderr.write(encoder.encode("\n"));
  }
}

if (import.meta.main) {
  try {
    console.log(await runAdmin(Deno.args, Deno.env.toObject()));
  } catch (error) {
    if (
      error instanceof UsageError || error instanceof AccountError ||
      error instanceof StoreDomainMismatch || error instanceof ServerKeyError
    ) {
      console.error(error.message);
      Deno.exit(2);
    }
    if (error instanceof ConfigError) {
      console.error(`configuration error: ${error.message}`);
      Deno.exit(2);
    }
    console.error(`cannot run the admin command: ${(error as Error).message}`);
    Deno.exit(1);
  }
}
