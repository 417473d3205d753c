/**
 * The server key's file beside a KV file: read, made once (never replacing one another process
 * made), replaced atomically. Loaded only for a KV file: a host without a file system (Deno
 * Deploy) never loads it.
 */
import { MIN_KEY_CHARS, type ServerKey, ServerKeyError } from "./server_key.ts";

/** The key kept in `path` (undefined when there is none), with a warning if others may read it. */
export async function readKeyFile(
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
