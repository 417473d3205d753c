/**
 * Accounts as operators create them: with the admin command, or listed in the users file
 * (IMPS_USERS) the server reads at start, the only way to give an in-memory store users.
 */
import type { UserRecord, UserRepo } from "./store/users.ts";
import { hashPassword, type Sealer } from "./util/crypto.ts";
import { parseUserId } from "./util/userid.ts";

/** A user id or password an operator gave is not usable; the message says why. */
export class AccountError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AccountError";
  }
}

/** `name` or `wv:name@domain` as the normalised id of a user of `domain`. */
export function localUserId(raw: string, domain: string): string {
  const address = parseUserId(raw, domain);
  if (!address) throw new AccountError(`"${raw}" is not a valid user id`);
  if (address.domain !== domain) {
    throw new AccountError(`${address.id} is not in this server's domain ${domain}`);
  }
  return address.id;
}

/** What is stored of a password: its hash, and with a server key the sealed password itself. */
export async function credentials(
  password: string,
  userId: string,
  sealer: Sealer | undefined,
): Promise<Pick<UserRecord, "password" | "sealedPassword">> {
  return {
    password: await hashPassword(password),
    sealedPassword: sealer ? await sealer.seal(password, userId) : undefined,
  };
}

export interface ListedUser {
  id: string;
  password: string;
}

/**
 * The users of a users file: one per line, `<user-id> <password>` (the password is the rest of
 * the line); blank lines and lines starting with `#` are skipped.
 */
export function parseUsersFile(text: string, domain: string): ListedUser[] {
  const users: ListedUser[] = [];
  const seen = new Set<string>();
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const space = line.search(/\s/);
    const password = space === -1 ? "" : line.slice(space).trim();
    if (password === "") throw new AccountError(`line ${i + 1}: expected <user-id> <password>`);
    let id: string;
    try {
      id = localUserId(line.slice(0, space), domain);
    } catch (error) {
      throw new AccountError(`line ${i + 1}: ${(error as Error).message}`);
    }
    if (seen.has(id)) throw new AccountError(`line ${i + 1}: ${id} is listed twice`);
    seen.add(id);
    users.push({ id, password });
  });
  return users;
}

/** Creates the listed users that do not exist yet (existing ones keep their password). */
export async function createListedUsers(
  users: UserRepo,
  sealer: Sealer | undefined,
  listed: readonly ListedUser[],
): Promise<string[]> {
  const created: string[] = [];
  for (const { id, password } of listed) {
    if (await users.get(id)) continue;
    const record = { id, ...await credentials(password, id, sealer), createdAt: Date.now() };
    if (await users.create(record)) created.push(id);
  }
  return created;
}
