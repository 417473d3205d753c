/**
 * Service negotiation (Service-Request, and the Functions of a 1.3 Login): what a client asks
 * for, what it is agreed, and the tree that tells it.
 *
 * The request's `Functions` names what the client wants; an empty element means all of it, as
 * do the mandatory-set markers MF/MP/MM/MG. The answer's `Functions` names what was asked and is
 * NOT available: an empty feature or function element denies that branch, an empty leaf that
 * one capability, and no `Functions` at all denies nothing. That is how Nokia's S60 engine reads
 * it (TImpsSrvUtils::DiscardServicesL) and how Baraza answers (in every version, also in a 1.3
 * Login-Response), what the CSP 1.1 spec example wv-010 shows (all of three features asked,
 * `Functions` = `FundamentalFeat/SearchFunc`, `AllFunctions` = everything), and what the SMS
 * binding calls the element (`NF`, NotAvailableFunctions). `AllFunctions` lists what the server
 * implements (Android's engine reads only that).
 *
 * Agreement is per feature: a feature the client names at all is agreed with every function of
 * it this server implements. Nokia's engine asks IMFeat as `IMReceiveFunc{NEWM}` and `IMAuthFunc`
 * alone, checks only features before it sends, and then sends SendMessage (IMSendFunc): told
 * that nothing was denied, it must not get 506. A feature the client did not name is not agreed.
 */
import type { CspVersion, ElementObject, ElementValue } from "../codec/csp/message.ts";
import { elementModel } from "../codec/csp/schema.ts";

/** Function leaves that exist only in some versions (digest §2.2); the others exist in all. */
const LEAF_VERSIONS: Record<string, readonly CspVersion[]> = {
  GETMAP: ["1.3"],
  SGMNT: ["1.3"],
  ADVSR: ["1.3"],
  OFFNOTIF: ["1.3"],
  EXCON: ["1.3"],
  VRID: ["1.2", "1.3"],
  GETAUT: ["1.2", "1.3"],
  GETJU: ["1.2", "1.3"],
  REACT: ["1.1", "1.2"],
  CAAUT: ["1.1", "1.2"],
};

const MANDATORY_MARKERS = new Set(["MF", "MP", "MM", "MG"]);

/** Every `Feature/Group/LEAF` of the service tree in a version, in the schema's order. */
function catalogue(version: CspVersion): string[] {
  const keys: string[] = [];
  for (const feature of elementModel("WVCSPFeat")!.children) {
    for (const group of elementModel(feature.name)!.children) {
      if (MANDATORY_MARKERS.has(group.name)) continue;
      for (const leaf of elementModel(group.name)!.children) {
        const versions = LEAF_VERSIONS[leaf.name];
        if (!versions || versions.includes(version)) {
          keys.push(`${feature.name}/${group.name}/${leaf.name}`);
        }
      }
    }
  }
  return keys;
}

const CATALOGUES = new Map<CspVersion, string[]>(
  (["1.1", "1.2", "1.3"] as const).map((v) => [v, catalogue(v)]),
);

const childElements = (o: ElementObject) =>
  Object.keys(o).filter((k) => !k.startsWith("@") && !k.startsWith("#"));

const asObject = (v: ElementValue | ElementValue[] | undefined): ElementObject | undefined =>
  v !== undefined && v !== null && typeof v === "object" && !Array.isArray(v)
    ? v as ElementObject
    : undefined;

/** What a client asked: the leaves of the version's tree its `Functions` names. */
export interface Requested {
  leaves: Set<string>;
  features: Set<string>;
}

/** Reads a request's `Functions` tree (`undefined` when the request has none). */
export function requestedFunctions(
  tree: ElementObject | undefined,
  version: CspVersion,
): Requested {
  const leaves = new Set<string>();
  const features = new Set<string>();
  const root = asObject(tree?.WVCSPFeat);
  if (!root) return { leaves, features };
  const whole = childElements(root).length === 0;
  for (const key of CATALOGUES.get(version)!) {
    const [feature, group, leaf] = key.split("/");
    const f = whole ? {} : asObject(root[feature]);
    if (!f) continue;
    features.add(feature);
    const fChildren = childElements(f);
    if (fChildren.length === 0 || fChildren.some((c) => MANDATORY_MARKERS.has(c))) {
      leaves.add(key);
      continue;
    }
    const g = asObject(f[group]);
    if (g && (childElements(g).length === 0 || leaf in g)) leaves.add(key);
  }
  return { leaves, features };
}

/** The leaves agreed: every implemented one of each feature the client named. */
export function agreedFunctions(requested: Requested, implemented: ReadonlySet<string>): string[] {
  return [...implemented].filter((key) => requested.features.has(key.split("/")[0])).sort();
}

/**
 * The answer's `Functions`: what was asked and is not implemented, as the shortest tree that
 * says it (a branch with nothing implemented as its empty element); undefined when nothing is.
 */
export function deniedTree(
  requested: Requested,
  implemented: ReadonlySet<string>,
  version: CspVersion,
): ElementObject | undefined {
  const exists = (prefix: string) => [...implemented].some((key) => key.startsWith(prefix + "/"));
  const tree: Record<string, Record<string, Record<string, ElementObject>>> = {};
  for (const key of CATALOGUES.get(version)!) {
    if (!requested.leaves.has(key) || implemented.has(key)) continue;
    const [feature, group, leaf] = key.split("/");
    if (!exists(feature)) tree[feature] = {};
    else if (!exists(`${feature}/${group}`)) (tree[feature] ??= {})[group] = {};
    else ((tree[feature] ??= {})[group] ??= {})[leaf] = {};
  }
  return Object.keys(tree).length === 0 ? undefined : { WVCSPFeat: tree };
}
