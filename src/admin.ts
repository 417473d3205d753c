/**
 * Operator commands: `deno task admin user add|list|passwd|del`.
 * They open the same store as the server (IMPS_DATA), so the server's settings apply.
 */
import { type Config, ConfigError, loadConfig } from "./config.ts";
import { SessionLifecycle } from "./session/lifecycle.ts";
import { Store } from "./store/kv.ts";
import { OutboxRepo } from "./store/outbox.ts";
import { SessionRepo } from "./store/sessions.ts";
import {
  createKeyFile,
  describeKey,
  loadServerKey,
  newKey,
  replaceKeyFile,
  ServerKeyError,
} from "./store/server_key.ts";
import { type UserRecord, UserRepo } from "./store/users.ts";
import { hashPassword, Sealer } from "./util/crypto.ts";
import { isMsisdn } from "./util/msisdn.ts";
import { parseUserId } from "./util/userid.ts";

const USAGE = `usage: deno task admin user <command> | key rotate
  user add <user-id> --password <pw>     create a user (user-id: name or wv:name@domain)
  user passwd <user-id> --password <pw>  set a new password
  user del <user-id>                     remove a user and end its sessions
  user msisdn <user-id> <number|->       set (or clear) the phone number wake-up SMS go to
  user list                              list users
  key rotate                             seal every password under a new server key (stop the
                                         server first; with IMPS_SECRET, the new key comes from
                                         IMPS_NEW_SECRET)`;

class UsageError extends Error {}

export async function runAdmin(
  args: string[],
  env: Record<string, string | undefined>,
): Promise<string> {
  const config = loadConfig(env);
  const [area, command, rawId, ...rest] = args;
  if (area === "key" && command === "rotate") return await rotateKey(config, env);
  if (area !== "user" || !command) throw new UsageError(USAGE);
  const key = await loadServerKey(config);
  const store = await Store.open(config.dataPath);
  try {
    const users = new UserRepo(store);
    if (command === "list") {
      const all = await users.list();
      return all.map((u) => u.id).join("\n") || "(no users)";
    }
    if (!rawId) throw new UsageError(USAGE);
    const address = parseUserId(rawId, config.domain);
    if (!address) throw new UsageError(`"${rawId}" is not a valid user id`);
    if (address.domain !== config.domain) {
      throw new UsageError(`${address.id} is not in this server's domain ${config.domain}`);
    }
    const sealer = await Sealer.fromSecret(key.secret);
    const credentials = async (
      password: string,
    ): Promise<Pick<UserRecord, "password" | "sealedPassword">> => ({
      password: await hashPassword(password),
      sealedPassword: await sealer.seal(password, address.id),
    });
    switch (command) {
      case "add": {
        const password = passwordArg(rest);
        const created = await users.create({
          id: address.id,
          ...await credentials(password),
          createdAt: Date.now(),
        });
        if (!created) throw new UsageError(`${address.id} already exists`);
        return `added ${address.id}${key.created ? ` (${describeKey(key)})` : ""}`;
      }
      case "passwd": {
        const user = await users.get(address.id);
        if (!user) throw new UsageError(`no user ${address.id}`);
        await users.put({ ...user, ...await credentials(passwordArg(rest)) });
        return `password of ${address.id} changed`;
      }
      case "msisdn": {
        const user = await users.get(address.id);
        if (!user) throw new UsageError(`no user ${address.id}`);
        const number = rest[0];
        if (number !== "-" && (number === undefined || !isMsisdn(number))) {
          throw new UsageError("a phone number (digits, a leading + for international) or -");
        }
        await users.put({ ...user, msisdn: number === "-" ? undefined : number });
        return number === "-"
          ? `no phone number for ${address.id}`
          : `phone number of ${address.id} is ${number}`;
      }
      case "del": {
        if (!await users.get(address.id)) throw new UsageError(`no user ${address.id}`);
        await users.delete(address.id);
        const sessions = new SessionLifecycle(
          config,
          store,
          new SessionRepo(store),
          new OutboxRepo(store),
        );
        const ended = await sessions.disconnectUser(address.id, 601, "Account removed");
        return `removed ${address.id}${ended ? ` (${ended} session(s) disconnected)` : ""}`;
      }
      default:
        throw new UsageError(USAGE);
    }
  } finally {
    await store.close();
  }
}

/**
 * Seals every stored password under a new key. With the key file, the new key is written beside
 * it first (`<key file>.new`) and moved into place at the end, so a rotation cut short is taken
 * up again by running the command again; a password already sealed under the new key is left
 * as it is.
 */
async function rotateKey(config: Config, env: Record<string, string | undefined>) {
  const current = await loadServerKey(config);
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

function passwordArg(rest: string[]): string {
  const i = rest.indexOf("--password");
  const password = i === -1 ? undefined : rest[i + 1];
  if (!password) throw new UsageError("--password <pw> is required");
  return password;
}

if (import.meta.main) {
  try {
    console.log(await runAdmin(Deno.args, Deno.env.toObject()));
  } catch (error) {
    if (
      error instanceof UsageError || error instanceof ConfigError ||
      error instanceof ServerKeyError
    ) {
      console.error(error.message);
      Deno.exit(2);
    }
    throw error;
  }
}
