/**
 * Removing a user account. Everything that belongs to it goes, so that an account created later
 * under the same id starts empty (no mailbox, contact lists, groups, block list, content,
 * authorisations or invitations of the one before):
 *
 * 1. `beginRemoval` (the admin command, or the server itself) deletes the user record and leaves
 *    a removal record, in one commit, and marks the user's sessions for a Disconnect 601 at their
 *    next request. From that commit on, no login succeeds and no message is taken for the id.
 * 2. `finishRemovals` (the server's sweeper, every 15 s, or at once by `removeUser`) ends the
 *    sessions still open, then deletes what each service element names as the user's
 *    (`ServiceElement.userData`), in commits of at most REMOVAL_BATCH keys, and the removal
 *    record last. A crash midway leaves the removal record: the next sweep goes on from there
 *    (each element names its data from what is left, the indexes it reads from last).
 *
 * The purge runs in the server because the server keeps views of the store in step with its own
 * commits: deleting under it from the admin process would leave them believing otherwise.
 */
import type { ServerContext } from "../session/server_context.ts";
import type { SessionLifecycle } from "../session/lifecycle.ts";
import { clpStateKey } from "../store/clp.ts";
import { del, set, type Store } from "../store/kv.ts";
import { msisdnKey, type UserRecord } from "../store/users.ts";
import { serviceElements } from "./mod.ts";

/** Where a user's data lies: under a key prefix (the key itself included), or, where nothing
 * indexes it by user, among the keys under `scan` whose part number `part` is the user. */
export type UserDataSpec = { prefix: Deno.KvKey } | { scan: Deno.KvKey; part: number };

/** Keys deleted per commit: well within KV's 1,000 mutations and 800 KiB per commit. */
export const REMOVAL_BATCH = 200;

const removalKey = (userId: string) => ["user_removal", userId];

/** Whether a removal of the user has begun and not finished. */
export async function removalPending(store: Store, userId: string): Promise<boolean> {
  return await store.get(removalKey(userId)) !== undefined;
}

/** Step 1: the account is gone at once; returns how many sessions were marked. */
export async function beginRemoval(
  store: Store,
  sessions: SessionLifecycle,
  userId: string,
): Promise<number> {
  // The phone number goes with the record: an SMS from it is nobody's from then on.
  const msisdn = (await store.get<UserRecord>(["user", userId]))?.msisdn;
  await store.write(
    del(["user", userId]),
    ...msisdn === undefined ? [] : [del(msisdnKey(msisdn))],
    set(removalKey(userId), { at: Date.now() }),
  );
  return await sessions.disconnectUser(userId, 601, "Account removed");
}

/** Step 2 for every removal begun; returns the users whose removal finished. */
export async function finishRemovals(server: ServerContext): Promise<string[]> {
  const finished = [];
  for (const { key } of await server.store.list(["user_removal"], { limit: 100 })) {
    const userId = String(key[1]);
    for (const session of await server.sessions.repo.listByUser(userId)) {
      await server.sessions.end(session, "disconnected");
    }
    for (const element of serviceElements) {
      for (const spec of await element.userData?.(server.store, userId) ?? []) {
        await deleteAll(server.store, spec, userId);
      }
    }
    // What a CLP terminal kept between its SMS.
    await server.store.write(del(clpStateKey(userId)), del(key));
    finished.push(userId);
  }
  return finished;
}

/** Both steps at once, in this process: effective here with its commit. */
export async function removeUser(server: ServerContext, userId: string): Promise<void> {
  await beginRemoval(server.store, server.sessions, userId);
  await finishRemovals(server);
}

async function deleteAll(store: Store, spec: UserDataSpec, userId: string): Promise<void> {
  if ("prefix" in spec) await store.write(del(spec.prefix));
  const prefix = "prefix" in spec ? spec.prefix : spec.scan;
  const scanLimit = REMOVAL_BATCH * 5;
  let cursor: string | undefined;
  for (;;) {
    const batch: Deno.KvKey[] = [];
    const iterator = store.reader.list({ prefix }, { limit: scanLimit, cursor });
    let seen = 0;
    let full = false;
    for await (const entry of iterator) {
      seen++;
      if ("prefix" in spec || entry.key[spec.part] === userId) batch.push(entry.key);
      if ((full = batch.length === REMOVAL_BATCH)) break;
    }
    if (batch.length > 0) await store.write(...batch.map((key) => del(key)));
    if ("prefix" in spec) {
      // Listed again from its start: what was deleted is gone.
      if (!full) return;
    } else {
      if (!full && seen < scanLimit) return;
      cursor = iterator.cursor;
    }
  }
}
