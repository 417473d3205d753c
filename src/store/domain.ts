/**
 * The IMPS domain a store belongs to. Every user id and address kept in it names that domain, so
 * a store opened for another one (a forgotten IMPS_DATA or IMPS_DOMAIN) would look empty and
 * fill up with users nobody can reach: the first server or operator command to use a store
 * records its domain, and later ones with another domain are refused.
 */
import { whileLocked } from "./commit.ts";
import type { Store } from "./kv.ts";

const DOMAIN_KEY = ["meta", "domain"];

/** The store was recorded for another domain. */
export class StoreDomainMismatch extends Error {
  constructor(readonly path: string, readonly recorded: string, readonly wanted: string) {
    super(
      `${path} holds the domain ${recorded}, not ${wanted} (IMPS_DOMAIN): ` +
        `point IMPS_DATA at ${wanted}'s store, or set IMPS_DOMAIN=${recorded}`,
    );
    this.name = "StoreDomainMismatch";
  }
}

/** Records `domain` as the store's if it has none yet; StoreDomainMismatch if it has another. */
export async function claimStoreDomain(store: Store, path: string, domain: string): Promise<void> {
  const recorded = await store.kv.get<string>(DOMAIN_KEY);
  if (recorded.value !== null) {
    if (recorded.value !== domain) throw new StoreDomainMismatch(path, recorded.value, domain);
    return;
  }
  const claimed = await whileLocked(() =>
    store.kv.atomic().check(recorded).set(DOMAIN_KEY, domain).commit()
  );
  // Another process recorded a domain meanwhile: judge by what it wrote.
  if (!claimed.ok) await claimStoreDomain(store, path, domain);
}
