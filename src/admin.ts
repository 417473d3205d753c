/**
 * Operator commands: `deno task admin user add|list|passwd|del`.
 * They open the same store as the server (IMPS_DATA), so the server's settings apply.
 */
import { ConfigError, loadConfig } from "./config.ts";
import { SessionLifecycle } from "./session/lifecycle.ts";
import { Store } from "./store/kv.ts";
import { OutboxRepo } from "./store/outbox.ts";
import { SessionRepo } from "./store/sessions.ts";
import { type UserRecord, UserRepo } from "./store/users.ts";
import { hashPassword, Sealer } from "./util/crypto.ts";
import { isMsisdn } from "./util/msisdn.ts";
import { parseUserId } from "./util/userid.ts";

const USAGE = `usage: deno task admin user <command>
  user add <user-id> --password <pw>     create a user (user-id: name or wv:name@domain)
  user passwd <user-id> --password <pw>  set a new password
  user del <user-id>                     remove a user and end its sessions
  user msisdn <user-id> <number|->       set (or clear) the phone number wake-up SMS go to
  user list                              list users`;

class UsageError extends Error {}

export async function runAdmin(
  args: string[],
  env: Record<string, string | undefined>,
): Promise<string> {
  const config = loadConfig(env);
  const [area, command, rawId, ...rest] = args;
  if (area !== "user" || !command) throw new UsageError(USAGE);
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
    const sealer = config.secret ? await Sealer.fromSecret(config.secret) : undefined;
    const credentials = async (
      password: string,
    ): Promise<Pick<UserRecord, "password" | "sealedPassword">> => ({
      password: await hashPassword(password),
      sealedPassword: sealer ? await sealer.seal(password, address.id) : undefined,
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
        return `added ${address.id}${sealer ? "" : " (no IMPS_SECRET: digest login unavailable)"}`;
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
    if (error instanceof UsageError || error instanceof ConfigError) {
      console.error(error.message);
      Deno.exit(2);
    }
    throw error;
  }
}
