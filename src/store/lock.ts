/**
 * The lock a server holds on its KV file while it runs. Two servers on one embedded store would
 * each trust caches kept in step with their own commits only (session lists, mailbox counts), and
 * KV watches and queues do not cross processes: a second one must not start, unless every one of
 * them runs in shared mode (IMPS_SHARED), which turns those caches off. A server alone takes the
 * lock exclusively, servers sharing the file take it shared, so neither kind starts beside the
 * other. The lock is an advisory lock on `<file>.lock`, which the kernel releases when the
 * process ends in any way (kill -9 included), so it never goes stale. Operator commands do not
 * take it.
 */

/** What a lock file holding servers in shared mode says instead of a pid. */
const SHARED_MARK = "shared";

/** How long a lock held by this same process is waited for, and how often it is tried, ms. */
const OWN_RELEASE_WAIT_MS = 3_000;
const OWN_RELEASE_LOOK_MS = 50;

/** Another process holds the store's lock. */
export class StoreInUse extends Error {
  constructor(readonly path: string, readonly holder: string, shared = false) {
    super(
      holder === SHARED_MARK
        ? `${path} is in use by servers sharing it (IMPS_SHARED=true): start this one with ` +
          `IMPS_SHARED=true too, or give it its own IMPS_DATA`
        : `${path} is in use by another server${holder ? ` (pid ${holder})` : ""}: ` +
          (shared
            ? "stop it, or start every server on the file with IMPS_SHARED=true"
            : "run one server per KV file, or give this one its own IMPS_DATA"),
    );
    this.name = "StoreInUse";
  }
}

/**
 * Takes the lock of the KV file at `path`, exclusively or, with `shared`, beside other servers
 * in shared mode; close the returned file to release it.
 */
export async function lockStoreFile(
  path: string,
  options: { shared?: boolean } = {},
): Promise<Deno.FsFile> {
  const lockPath = `${path}.lock`;
  const shared = options.shared ?? false;
  const file = await Deno.open(lockPath, { read: true, write: true, create: true });
  try {
    for (let waited = 0; !await file.tryLock(!shared); waited += OWN_RELEASE_LOOK_MS) {
      const holder = (await Deno.readTextFile(lockPath).catch(() => "")).trim();
      // A server of this very process that was just closed (a restart within one process) can
      // still hold the lock a moment: its file is closed once the runtime lets go of it.
      if (holder !== String(Deno.pid) || waited >= OWN_RELEASE_WAIT_MS) {
        throw new StoreInUse(path, holder, shared);
      }
      await new Promise((resolve) => setTimeout(resolve, OWN_RELEASE_LOOK_MS));
    }
    // The holder's pid (or the shared mark), for the message another server prints.
    const mark = shared ? SHARED_MARK : String(Deno.pid);
    if (!shared || (await Deno.readTextFile(lockPath)).trim() !== mark) {
      await file.truncate(0);
      await file.write(new TextEncoder().encode(`${mark}\n`));
    }
    return file;
  } catch (error) {
    file.close();
    throw error;
  }
}
