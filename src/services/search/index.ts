/**
 * The user search index, all under `["search", ...]`, kept on write so that a search reads only
 * the key ranges its SearchStrings select:
 *
 * - `profile, user` → the user's searchable values (`SearchableFields`), to replace them on change
 *   and to check further criteria of a search one candidate at a time
 * - `by, element, term, user` → one entry per word start of each value (see `terms`), so a prefix
 *   query is one range read
 *
 * USER_ID needs no index of its own: the accounts (`["user", id]`) are already ordered by id.
 */
import { del, type Mutation, set, type Store } from "../../store/kv.ts";
import { type ProfileElement, type SearchableFields, terms } from "./fields.ts";
import type { Found, SearchIndexStorage } from "./storage.ts";

const profileKey = (user: string) => ["search", "profile", user];
const termKey = (
  element: string,
  term: string,
  user: string,
) => ["search", "by", element, term, user];
/** Greater than any character: `query + LAST` ends the range of keys starting with `query`. */
const LAST = "\u{10FFFF}";

/** The storage of `storage.ts` over Deno KV. */
export class SearchIndexRepo implements SearchIndexStorage {
  constructor(private readonly store: Store) {}

  async replaceMutations(user: string, fields: SearchableFields): Promise<Mutation[]> {
    const before = await this.store.get<SearchableFields>(profileKey(user)) ?? {};
    const keysOf = (f: SearchableFields) => {
      const keys = new Map<string, Deno.KvKey>();
      for (const [element, values] of Object.entries(f)) {
        for (const term of values.flatMap(terms)) {
          const key = termKey(element, term, user);
          keys.set(JSON.stringify(key), key);
        }
      }
      return keys;
    };
    const old = keysOf(before);
    const now = keysOf(fields);
    // Most presence changes (OnlineStatus at login, a status text) leave the index as it is.
    if (old.size === now.size && [...now.keys()].every((id) => old.has(id))) return [];
    const mutations: Mutation[] = [];
    for (const [id, key] of old) if (!now.has(id)) mutations.push(del(key));
    for (const [id, key] of now) if (!old.has(id)) mutations.push(set(key, true));
    mutations.push(now.size > 0 ? set(profileKey(user), fields) : del(profileKey(user)));
    return mutations;
  }

  async findByProfile(element: ProfileElement, query: string, limit: number): Promise<Found> {
    const prefix = ["search", "by", element];
    const users = new Set<string>();
    const entries = this.store.scan({
      start: [...prefix, query],
      end: [...prefix, query + LAST],
    }, {
      batchSize: Math.min(limit + 1, 500),
    });
    // A user matched by several words of one value appears once per word: read until enough
    // distinct users are found.
    for await (const { key } of entries) {
      users.add(String(key[4]));
      if (users.size > limit) break;
    }
    const sorted = [...users].sort();
    return { users: sorted.slice(0, limit), more: sorted.length > limit };
  }

  async findById(query: string, limit: number): Promise<Found> {
    const from = `wv:${query}`;
    const users: string[] = [];
    const entries = this.store.scan({ start: ["user", from], end: ["user", from + LAST] }, {
      limit: limit + 1,
      batchSize: Math.min(limit + 1, 500),
    });
    for await (const { key } of entries) users.push(String(key[1]));
    return { users: users.slice(0, limit), more: users.length > limit };
  }

  async profiles(users: readonly string[]): Promise<SearchableFields[]> {
    return (await this.store.getMany<SearchableFields>(users.map(profileKey))).map((p) => p ?? {});
  }

  async existing(users: readonly string[]): Promise<boolean[]> {
    return (await this.store.getMany(users.map((u) => ["user", u]))).map((u) => u !== undefined);
  }
}
