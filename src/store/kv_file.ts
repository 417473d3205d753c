/**
 * Opening a KV file: its directory made if missing, a path that is not a KV file refused, the
 * server's lock taken. Loaded by `Store.open` only for a file, so a host without a file system
 * (Deno Deploy) never loads it.
 */
import { whileLocked } from "./commit.ts";
import { lockStoreFile } from "./lock.ts";

export interface KvFile {
  kv: Deno.Kv;
  /** A second connection for reads (see `Store.reader`). */
  reader: Deno.Kv;
  lock?: Deno.FsFile;
}

/** Opens the KV file at `path`; `lock` takes the server's lock, `shared` as one of several. */
export async function openKvFile(
  path: string,
  options: { lock?: boolean; shared?: boolean },
): Promise<KvFile> {
  const dir = path.replace(/[/\\][^/\\]*$/, "");
  if (dir && dir !== path) {
    await Deno.mkdir(dir, { recursive: true }).catch((error) => {
      // mkdir's own message ("File exists") does not say which part is in the way.
      if (error instanceof Deno.errors.AlreadyExists) {
        throw new Error(`${dir} is not a directory`);
      }
      throw error;
    });
  }
  await checkKvFile(path);
  const lock = options.lock ? await lockStoreFile(path, { shared: options.shared }) : undefined;
  try {
    const kv = await Deno.openKv(path);
    const reader = await Deno.openKv(path);
    // A connection sets the database up at its first use; left to happen beside the first
    // commit on a new file, that commit can fail with "database is locked".
    await whileLocked(() => reader.get(["health"]));
    return { kv, reader, lock };
  } catch (error) {
    lock?.close();
    throw error;
  }
}

/**
 * Refuses a path that is a directory or a file other than an SQLite database, before anything
 * (a lock file) is made beside it.
 */
async function checkKvFile(path: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw error;
  }
  if (info.isDirectory) throw new Error(`${path} is a directory, not a KV file`);
  if (!info.isFile || info.size === 0) return;
  const file = await Deno.open(path);
  try {
    const head = new Uint8Array(16);
    const n = await file.read(head);
    if (new TextDecoder().decode(head.subarray(0, n ?? 0)) !== "SQLite format 3\0") {
      throw new Error(`${path} is not a Deno KV file`);
    }
  } finally {
    file.close();
  }
}
