/**
 * What the search element keeps, declared for its primitives: the user index (each user's
 * searchable values, by word start) and each session's searches waiting for their next page.
 * `index.ts` and `results.ts` keep them in Deno KV.
 */
import type { Mutation } from "../../store/kv.ts";
import type { ProfileElement, SearchableFields } from "./fields.ts";

/** Users found for one criterion: at most `limit`, and whether more matched. */
export interface Found {
  users: string[];
  more: boolean;
}

export interface OpenSearch {
  id: string;
  kind: "users" | "groups";
  findings: number;
  /** Results per page, from the first request's SearchLimit. */
  limit: number;
  createdAt: number;
}

/** The user index, kept on presence changes. */
export interface SearchIndexStorage {
  /** Mutations that make `fields` the user's searchable values, replacing the previous ones. */
  replaceMutations(user: string, fields: SearchableFields): Promise<Mutation[]>;

  /** Users with a value of `element` matching the normalised `query`, in user id order. */
  findByProfile(element: ProfileElement, query: string, limit: number): Promise<Found>;

  /** Accounts whose id starts with `wv:` + the normalised `query`. */
  findById(query: string, limit: number): Promise<Found>;

  /** The searchable values of each user (empty for users without any). */
  profiles(users: readonly string[]): Promise<SearchableFields[]>;

  /** Which of the users still have an account. */
  existing(users: readonly string[]): Promise<boolean[]>;
}

/** Each session's searches waiting for their next page. */
export interface SearchResultStorage {
  /**
   * Keeps a new search's results, dropping the session's oldest searches so that at most `max`
   * stay open. One session's openings run one at a time: searches sent at once must not each see
   * room and all stay.
   */
  open(session: string, search: OpenSearch, ids: string[], max: number): Promise<void>;

  /** The search, unless unknown or expired (KV drops expired entries only eventually). */
  get(session: string, id: string, now?: number): Promise<OpenSearch | undefined>;

  /** Results `from` (0-based) up to `count` of them. */
  results(
    session: string,
    search: OpenSearch,
    from: number,
    count: number,
  ): Promise<string[]>;

  /** Everything a session's searches left behind. */
  clearMutations(session: string): Promise<Mutation[]>;

  removeMutations(session: string, search: OpenSearch): Mutation[];
}
