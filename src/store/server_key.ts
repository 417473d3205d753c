/**
 * The server key: what seals passwords at rest for digest (4-way) login. IMPS_SECRET when the
 * operator sets it; otherwise a random key made once and kept in a file beside the KV file
 * (owner-only), so that handsets, which log in only with a digest, can log in from the first
 * start. A `:memory:` store gets a key that lives as long as the process, like its data. A remote
 * store has no local directory to keep a file in: the configuration refuses it without
 * IMPS_SECRET (config.ts).
 */
import type { Config } from "../config.ts";
import { toBase64 } from "../util/crypto.ts";

export interface ServerKey {
  secret: string;
  /** Where the key comes from: the setting, the key file, or the process's memory. */
  source: "IMPS_SECRET" | "file" | "memory";
  /** The key file, for the "file" source. */
  path?: string;
  /** Whether the file was made just now. */
  created: boolean;
  /** Something the operator should hear about the file (its permissions). */
  warning?: string;
}

/** Shortest key accepted, in characters (IMPS_SECRET has the same bound). */
const MIN_KEY_CHARS = 16;

export class ServerKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ServerKeyError";
  }
}

/** The key file of an embedded store: the KV file's path with `.key` added. */
export function keyFilePath(dataPath: string): string | undefined {
  if (dataPath === ":memory:" || /^https?:\/\//.test(dataPath)) return undefined;
  return `${dataPath}.key`;
}

/** A new random key: 32 bytes, as base64 text. */
export function newKey(): string {
  return toBase64(crypto.getRandomValues(new Uint8Array(32)));
}

/** Finds (or, for an embedded store, makes) the key the server and the admin command use. */
export async function loadServerKey(config: Config): Promise<ServerKey> {
  if (config.secret !== undefined) {
    return { secret: config.secret, source: "IMPS_SECRET", created: false };
  }
  const path = keyFilePath(config.dataPath);
  if (path === undefined) {
    if (config.dataPath === ":memory:") {
      return { secret: newKey(), source: "memory", created: false };
    }
    // config.ts refuses this; kept so that no caller can end up with an unsealed remote store.
    throw new ServerKeyError("IMPS_SECRET is required with a remote store");
  }
  const existing = await readKeyFile(path);
  if (existing !== undefined) return { ...existing, source: "file", path, created: false };
  const secret = newKey();
  if (await createKeyFile(path, secret)) return { secret, source: "file", path, created: true };
  // Another process (the admin command beside the server) made it first: theirs is the key.
  return { ...(await readKeyFile(path))!, source: "file", path, created: false };
}

async function readKeyFile(
  path: string,
): Promise<Pick<ServerKey, "secret" | "warning"> | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw new ServerKeyError(`cannot read the server key ${path}: ${(error as Error).message}`);
  }
  const secret = text.trim();
  if (secret.length < MIN_KEY_CHARS) {
    throw new ServerKeyError(
      `the server key ${path} is damaged (fewer than ${MIN_KEY_CHARS} characters): restore it ` +
        `from the backup of this store, or set IMPS_SECRET`,
    );
  }
  const mode = (await Deno.stat(path)).mode;
  const warning = mode !== null && (mode & 0o077) !== 0
    ? `the server key ${path} can be read by other users: chmod 600 it`
    : undefined;
  return { secret, warning };
}

/**
 * Writes `secret` to `path` unless a file is already there (false then). The key is written
 * and synced under a temporary name, owner-only, then linked into place, which fails rather
 * than replace a key another process made meanwhile; no reader ever sees a partial key.
 */
export async function createKeyFile(path: string, secret: string): Promise<boolean> {
  const dir = path.replace(/[/\\][^/\\]*$/, "");
  if (dir && dir !== path) await Deno.mkdir(dir, { recursive: true });
  const temporary = `${path}.${crypto.randomUUID()}.tmp`;
  await writePrivate(temporary, secret);
  try {
    await Deno.link(temporary, path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) return false;
    // A file system without hard links: a rename, checked first (a narrow race, not none).
    if (await Deno.stat(path).then(() => true, () => false)) return false;
    await Deno.rename(temporary, path);
    return true;
  } finally {
    await Deno.remove(temporary).catch(() => {});
  }
}

/** Replaces the key in `path` by `secret`, atomically (a rename), owner-only. */
export async function replaceKeyFile(path: string, secret: string): Promise<void> {
  const temporary = `${path}.${crypto.randomUUID()}.tmp`;
  await writePrivate(temporary, secret);
  await Deno.rename(temporary, path);
}

async function writePrivate(path: string, secret: string): Promise<void> {
  const file = await Deno.open(path, { write: true, createNew: true, mode: 0o600 });
  try {
    await file.write(new TextEncoder().encode(secret + "\n"));
    await file.sync();
  } finally {
    file.close();
  }
  // The mode given at creation passes through the umask; make sure it is exactly owner-only.
  if (Deno.build.os !== "windows") await Deno.chmod(path, 0o600);
}

/** One line for the start-up log: where the key is and what to do with it. */
export function describeKey(key: ServerKey): string {
  switch (key.source) {
    case "IMPS_SECRET":
      return "server key: IMPS_SECRET";
    case "memory":
      return "server key: made for this process (the store is :memory:)";
    case "file":
      return `server key: ${key.created ? "generated " : ""}${key.path} ` +
        "(back it up with the KV file: it seals the passwords for digest login)";
  }
}
