/**
 * The lock a server holds on its KV file while it runs. Two servers on one embedded store would
 * each trust caches kept in step with their own commits only (session lists, mailbox counts), and
 * KV watches and queues do not cross processes: the second one must not start. The lock is an
 * advisory lock on `<file>.lock`, which the kernel releases when the process ends in any way
 * (kill -9 included), so it never goes stale. Operator commands do not take it.
 */

/** Another process holds the store's lock. */
export class StoreInUse extends Error {
  constructor(readonly path: string, readonly holder: string) {
    super(
      `${path} is in use by another server${holder ? ` (pid ${holder})` : ""}: ` +
        `run one server per KV file, or give this one its own IMPS_DATA`,
    );
    this.name = "StoreInUse";
  }
}

/** Takes the lock of the KV file at `path`; close the returned file to release it. */
export async function lockStoreFile(path: string): Promise<Deno.FsFile> {
  const lockPath = `${path}.lock`;
  const file = await Deno.open(lockPath, { read: true, write: true, create: true });
  try {
    if (!await file.tryLock(true)) {
      const holder = await Deno.readTextFile(lockPath).catch(() => "");
      throw new StoreInUse(path, holder.trim());
    }
    // The holder's pid, for the message a second server prints.
    await file.truncate(0);
    await file.write(new TextEncoder().encode(`${Deno.pid}\n`));
    return file;
  } catch (error) {
    file.close();
    throw error;
  }
}
