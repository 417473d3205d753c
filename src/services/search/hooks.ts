/** What the search element needs of other elements; `services/mod.ts` fills it in. */

/** The SearchElements that look for groups (digest §2.3). */
export type GroupSearchKey =
  | "GROUP_ID"
  | "GROUP_NAME"
  | "GROUP_TOPIC"
  | "GROUP_USER_ID_JOINED"
  | "GROUP_USER_ID_OWNER"
  | "GROUP_USER_ID_AUTOJOIN";

export interface GroupSearchCriterion {
  key: GroupSearchKey;
  value: string;
}

export interface SearchHooks {
  /** The group directory (the group element); without it, a search for groups finds none. */
  groups?: {
    /** Searchable groups matching every criterion, sorted by group id, at most `limit`. */
    search(criteria: readonly GroupSearchCriterion[], limit: number): Promise<string[]>;
  };
}
