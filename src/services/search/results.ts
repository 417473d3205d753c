/**
 * Searches waiting for their next page, per session, under `["search", ...]`:
 *
 * - `open, session, searchId` → what was searched (`OpenSearch`)
 * - `page, session, searchId, n` → the n-th run of `IDS_PER_KEY` result ids (a result list may
 *   outgrow one KV value)
 *
 * Entries expire by themselves after `SEARCH_TTL_MS`, and go when the session ends or the
 * client sends StopSearch.
 */
import { del, type Mutation, type Store } from "../../store/kv.ts";
import { leased } from "../../store/serialised.ts";
import { KeyedQueue } from "../../util/keyed_queue.ts";
import { SEARCH_TTL_MS } from "./limits.ts";
import type { OpenSearch, SearchResultStorage } from "./storage.ts";

/** Result ids in one KV value: 100 ids of at most ~330 characters stay below the 64 KiB limit. */
const IDS_PER_KEY = 100;

const openKey = (session: string, id: string) => ["search", "open", session, id];
const pageKey = (session: string, id: string, n: number) => ["search", "page", session, id, n];

/** The storage of `storage.ts` over Deno KV. */
export class SearchResultRepo implements SearchResultStorage {
  /** One session's openings, one at a time (across instances too in shared mode). */
  readonly #openings = new KeyedQueue();

  constructor(private readonly store: Store) {}

  open(session: string, search: OpenSearch, ids: string[], max: number): Promise<void> {
    const task = async () => {
      await this.store.write(...await this.#openMutations(session, search, ids, max));
    };
    return this.#openings.run(session, leased(this.store, `search ${session}`, task));
  }

  async #openMutations(
    session: string,
    search: OpenSearch,
    ids: string[],
    max: number,
  ): Promise<Mutation[]> {
    const mutations: Mutation[] = [];
    const open = (await this.store.list<OpenSearch>(["search", "open", session]))
      .map((e) => e.value).sort((a, b) => a.createdAt - b.createdAt);
    for (const old of open.slice(0, Math.max(0, open.length - max + 1))) {
      mutations.push(...this.removeMutations(session, old));
    }
    const expireIn = SEARCH_TTL_MS;
    mutations.push({ type: "set", key: openKey(session, search.id), value: search, expireIn });
    for (let n = 0; n * IDS_PER_KEY < ids.length; n++) {
      const value = ids.slice(n * IDS_PER_KEY, (n + 1) * IDS_PER_KEY);
      mutations.push({ type: "set", key: pageKey(session, search.id, n), value, expireIn });
    }
    return mutations;
  }

  async get(session: string, id: string, now = Date.now()): Promise<OpenSearch | undefined> {
    const search = await this.store.get<OpenSearch>(openKey(session, id));
    return search && now - search.createdAt < SEARCH_TTL_MS ? search : undefined;
  }

  async results(
    session: string,
    search: OpenSearch,
    from: number,
    count: number,
  ): Promise<string[]> {
    const first = Math.floor(from / IDS_PER_KEY);
    const last = Math.floor((from + count - 1) / IDS_PER_KEY);
    const keys = [];
    for (let n = first; n <= last; n++) keys.push(pageKey(session, search.id, n));
    const runs = await this.store.getMany<string[]>(keys);
    const ids = runs.flatMap((r) => r ?? []);
    const offset = from - first * IDS_PER_KEY;
    return ids.slice(offset, offset + count);
  }

  async clearMutations(session: string): Promise<Mutation[]> {
    const open = await this.store.list<OpenSearch>(["search", "open", session]);
    return open.flatMap((e) => this.removeMutations(session, e.value));
  }

  removeMutations(session: string, search: OpenSearch): Mutation[] {
    const mutations = [del(openKey(session, search.id))];
    for (let n = 0; n * IDS_PER_KEY < search.findings; n++) {
      mutations.push(del(pageKey(session, search.id, n)));
    }
    return mutations;
  }
}
