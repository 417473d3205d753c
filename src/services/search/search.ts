/**
 * Search-Request: a first request (SearchPairList, SearchLimit) runs the search, keeps its
 * results for the session and answers the first page; a continuation (SearchID, SearchIndex)
 * answers the page from SearchIndex on. SearchIndex counts results from 1: the answer's
 * SearchIndex is the last result it carries, so the next request asks for that + 1 (spec
 * examples wv-020…023).
 */
import type { ElementObject, Primitive } from "../../codec/csp/message.ts";
import type { PrimitiveModule, RequestContext } from "../../session/handler.ts";
import { ProtocolError, result } from "../../session/status.ts";
import { int, str } from "../../session/values.ts";
import { findGroups, findUsers, readCriteria, RefusedElement } from "./criteria.ts";
import type { Search } from "./element.ts";
import { DEFAULT_SEARCH_LIMIT, MAX_SEARCH_LIMIT } from "./limits.ts";
import type { OpenSearch } from "./storage.ts";

/** SearchIDs are decimal: 1.1/1.2 WBXML clients encode them as integers (digest §4). */
const newSearchId = () => String(1 + crypto.getRandomValues(new Uint32Array(1))[0] % 0x7fffffff);

function searchLimit(body: ElementObject): number {
  if (body.SearchLimit === undefined) return DEFAULT_SEARCH_LIMIT;
  const limit = int(body.SearchLimit);
  if (limit === undefined || limit < 1) throw new ProtocolError(402, "Invalid SearchLimit");
  return Math.min(limit, MAX_SEARCH_LIMIT);
}

async function firstPage(
  s: Search,
  ctx: RequestContext,
  body: ElementObject,
): Promise<Primitive> {
  let criteria;
  try {
    criteria = readCriteria(body);
  } catch (error) {
    if (!(error instanceof RefusedElement)) throw error;
    return {
      name: "Status",
      body: {
        Result: {
          ...result(error.code, error.message),
          DetailedResult: [{ ...result(error.code, error.message), SearchElement: error.element }],
        },
      },
    };
  }
  if (body.AdvancedCriteria !== undefined) {
    throw new ProtocolError(405, "AdvancedCriteria is not supported");
  }
  const limit = searchLimit(body);
  const ids = criteria.kind === "users"
    ? await findUsers(s, criteria.criteria)
    : await findGroups(s, criteria.criteria);
  const search: OpenSearch = {
    id: newSearchId(),
    kind: criteria.kind,
    findings: ids.length,
    limit,
    createdAt: Date.now(),
  };
  // Kept even when one page holds everything, so that a StopSearch of it is answered 200.
  await s.results.open(ctx.session!.id, search, ids, s.server.config.searchesPerSession);
  return await page(s, search, 0, ids.slice(0, limit));
}

async function nextPage(s: Search, ctx: RequestContext, body: ElementObject, searchId: string) {
  const search = await s.results.get(ctx.session!.id, searchId);
  if (!search) throw new ProtocolError(424, "Invalid search-id");
  const index = int(body.SearchIndex);
  if (index === undefined || index < 1 || index > search.findings) {
    throw new ProtocolError(425, "Invalid search index");
  }
  const ids = await s.results.results(ctx.session!.id, search, index - 1, search.limit);
  return await page(s, search, index - 1, ids);
}

/** The answer carrying `ids`, the results from `from` (0-based) on. */
async function page(
  s: Search,
  search: OpenSearch,
  from: number,
  ids: string[],
): Promise<Primitive> {
  const last = from + ids.length;
  let found = ids;
  if (search.kind === "users") {
    // Accounts removed since the search ran are left out (their index entries may outlive them).
    const exists = await s.index.existing(ids);
    found = ids.filter((_, i) => exists[i]);
  }
  const searchResult: ElementObject = found.length === 0
    ? {}
    : search.kind === "users"
    ? { UserList: { User: found.map((UserID) => ({ UserID })) } }
    : { GroupList: { GroupID: found } };
  return {
    name: "Search-Response",
    body: {
      SearchID: search.id,
      SearchFindings: search.findings,
      CompletionFlag: last >= search.findings,
      SearchIndex: last,
      SearchResult: searchResult,
    },
  };
}

export function search(s: Search): PrimitiveModule {
  return {
    name: "Search-Request",
    function: ["FundamentalFeat", "SearchFunc", "SRCH"],
    // A new search costs; asking the next results of one (SearchID) does not.
    charges: (body) => body.SearchID === undefined ? [{ kind: "searches", cost: 1 }] : [],
    async handle(ctx, body) {
      const searchId = str(body.SearchID)?.trim();
      return searchId ? await nextPage(s, ctx, body, searchId) : await firstPage(s, ctx, body);
    },
  };
}
