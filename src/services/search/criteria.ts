/**
 * The criteria of a Search-Request and finding what matches all of them. 1.1/1.2 send one
 * SearchPairList per criterion; 1.3 may put several SearchPair elements in one (digest §2.3).
 */
import type { ElementObject } from "../../codec/csp/message.ts";
import type { Search } from "./element.ts";
import type { GroupSearchKey } from "./hooks.ts";
import { ProtocolError } from "../../session/status.ts";
import { all, obj, str } from "../../session/values.ts";
import { isProfileElement, matches, normalize, type ProfileElement } from "./fields.ts";
import type { Found } from "./storage.ts";
import { MAX_CRITERIA, MAX_FINDINGS, MAX_SEARCH_STRING, PROBE_FINDINGS } from "./limits.ts";

const GROUP_ELEMENTS: readonly GroupSearchKey[] = [
  "GROUP_ID",
  "GROUP_NAME",
  "GROUP_TOPIC",
  "GROUP_USER_ID_JOINED",
  "GROUP_USER_ID_OWNER",
  "GROUP_USER_ID_AUTOJOIN",
];
const isGroupElement = (name: string): name is GroupSearchKey =>
  (GROUP_ELEMENTS as readonly string[]).includes(name);

export type Criteria =
  | { kind: "users"; criteria: { element: "USER_ID" | ProfileElement; query: string }[] }
  | { kind: "groups"; criteria: { key: GroupSearchKey; value: string }[] };

/** A criterion refused for its SearchElement, which the answer names in a DetailedResult. */
export class RefusedElement extends ProtocolError {
  constructor(code: number, readonly element: string, description: string) {
    super(code, description);
  }
}

function refuse(code: number, element: string, description: string): never {
  throw new RefusedElement(code, element, description);
}

export function readCriteria(body: ElementObject): Criteria {
  const pairs: { element: string; value: string }[] = [];
  for (const list of all(body.SearchPairList)) {
    const listObject = obj(list);
    if (!listObject) throw new ProtocolError(400, "SearchPairList is empty");
    const inner = all(listObject.SearchPair).map(obj);
    for (const pair of inner.length > 0 ? inner : [listObject]) {
      const element = str(pair?.SearchElement)?.trim();
      const value = str(pair?.SearchString);
      if (!element || value === undefined) {
        throw new ProtocolError(400, "SearchElement and SearchString go together");
      }
      pairs.push({ element, value });
    }
  }
  if (pairs.length === 0) throw new ProtocolError(400, "SearchPairList missing");
  if (pairs.length > MAX_CRITERIA) {
    throw new ProtocolError(537, `At most ${MAX_CRITERIA} criteria in one search`);
  }
  for (const { element, value } of pairs) {
    if (value.length > MAX_SEARCH_STRING) refuse(402, element, "SearchString too long");
    if (!isGroupElement(element) && element !== "USER_ID" && !isProfileElement(element)) {
      refuse(402, element, "Not a searchable element");
    }
  }
  const groups = pairs.filter((p) => isGroupElement(p.element));
  if (groups.length > 0 && groups.length < pairs.length) {
    throw new ProtocolError(402, "A search is of users or of groups, not both");
  }
  if (groups.length > 0) {
    return {
      kind: "groups",
      criteria: groups.map((p) => {
        const value = p.value.trim();
        if (!value) refuse(402, p.element, "Empty SearchString");
        return { key: p.element as GroupSearchKey, value };
      }),
    };
  }
  return {
    kind: "users",
    criteria: pairs.map((p) => {
      const element = p.element as "USER_ID" | ProfileElement;
      const query = element === "USER_ID" ? userIdQuery(p.value) : normalize(element, p.value);
      if (!query) refuse(402, element, "Empty SearchString");
      return { element, query };
    }),
  };
}

/** USER_ID compares on the address without `wv:`, case-insensitively, from its start. */
const userIdQuery = (raw: string) => raw.trim().toLowerCase().replace(/^wv:/, "");

/**
 * The users matching every criterion, sorted by id. Each criterion is read from its index up to
 * PROBE_FINDINGS, and only when none is narrower than that, up to MAX_FINDINGS; the narrow ones
 * are intersected, and the others checked on what is left. When every criterion matches more
 * than MAX_FINDINGS users the answer is 536.
 */
export async function findUsers(
  { index }: Search,
  criteria: Extract<Criteria, { kind: "users" }>["criteria"],
): Promise<string[]> {
  const find = (limit: number) =>
    Promise.all(
      criteria.map((c) =>
        c.element === "USER_ID"
          ? index.findById(c.query, limit)
          : index.findByProfile(c.element, c.query, limit)
      ),
    );
  // A short read of every criterion first: one narrow criterion is enough to drive the search,
  // and broad ones are then only checked on its candidates instead of read in full.
  let found: Found[] = await find(PROBE_FINDINGS);
  if (found.every((f) => f.more)) found = await find(MAX_FINDINGS);
  const narrow = found.filter((f) => !f.more).sort((a, b) => a.users.length - b.users.length);
  if (narrow.length === 0) {
    throw new ProtocolError(536, `More than ${MAX_FINDINGS} users match: narrow the search`);
  }
  const others = narrow.slice(1).map((f) => new Set(f.users));
  let users = narrow[0].users.filter((u) => others.every((set) => set.has(u)));
  const broad = criteria.filter((_, i) => found[i].more);
  if (broad.length > 0 && users.length > 0) {
    const profiles = broad.some((c) => c.element !== "USER_ID")
      ? await index.profiles(users)
      : undefined;
    users = users.filter((user, i) =>
      broad.every((c) =>
        c.element === "USER_ID"
          ? user.startsWith(`wv:${c.query}`)
          : (profiles![i][c.element] ?? []).some((value) => matches(value, c.query))
      )
    );
  }
  return users.sort();
}

/** Groups through the group element's directory; none while no group element is installed. */
export async function findGroups(
  { hooks }: Search,
  criteria: Extract<Criteria, { kind: "groups" }>["criteria"],
): Promise<string[]> {
  const directory = hooks.groups;
  if (!directory) return [];
  const groups = await directory.search(criteria, MAX_FINDINGS + 1);
  if (groups.length > MAX_FINDINGS) {
    throw new ProtocolError(536, `More than ${MAX_FINDINGS} groups match: narrow the search`);
  }
  return groups;
}
