/**
 * How each engine reads the Service-Response: what it enables afterwards. Written from the
 * engines' documented behaviour (see ../shared/spec/handsets.md and the README), to assert that
 * each ends up with what the server agreed.
 */
import type { ElementObject } from "../../src/codec/csp/message.ts";
import { node } from "../support/body_reader.ts";

/** Per feature: whether the engine uses it, and the function groups and leaves it keeps on. */
export type Enabled = Map<string, { functions: Set<string>; capabilities: Set<string> }>;

const FEATURES = ["FundamentalFeat", "PresenceFeat", "IMFeat", "GroupFeat"] as const;

const names = (o: ElementObject) => Object.keys(o).filter((k) => !/^[@#]/.test(k));

/** The function groups and their leaves the engines know, per feature (CSP 1.1/1.2). */
const TREE: Record<string, Record<string, string[]>> = {
  FundamentalFeat: { SearchFunc: ["SRCH", "STSRC"], InviteFunc: ["INVIT", "CAINV"] },
  PresenceFeat: {
    ContListFunc: ["GCLI", "CCLI", "DCLI", "MCLS"],
    PresenceAuthFunc: ["GETWL", "REACT", "CAAUT", "GETAUT"],
    PresenceDeliverFunc: ["GETPR", "UPDPR"],
    AttListFunc: ["CALI", "DALI", "GALS"],
  },
  IMFeat: { IMSendFunc: [], IMReceiveFunc: ["NEWM"], IMAuthFunc: ["GLBLU", "BLENT"] },
  GroupFeat: {
    GroupMgmtFunc: ["CREAG", "DELGR", "GETGP", "SETGP"],
    GroupUseFunc: ["SUBGCN", "GRCHN"],
    GroupAuthFunc: ["GETGM", "ADDGM", "RMVGM", "MBRAC", "REJEC"],
  },
};

function whole(feature: string): { functions: Set<string>; capabilities: Set<string> } {
  const groups = TREE[feature];
  return {
    functions: new Set(Object.keys(groups)),
    capabilities: new Set(Object.values(groups).flat()),
  };
}

/**
 * Nokia's S60 engine: it starts from what it asked for (all of IM with NEWM, GLBLU and BLENT;
 * all of groups; all of presence when reactive authorisation is on, else the non-reactive
 * part; search and invitations) and takes off what the answer's `Functions` denies: nothing
 * when absent, everything for an empty WVCSPFeat, a feature or function group for its empty
 * element, a capability for its empty leaf. GETAUT is always off in 1.1.
 */
export function nokiaReading(response: ElementObject, version: string, reactive: boolean): Enabled {
  const enabled: Enabled = new Map();
  for (const feature of FEATURES) enabled.set(feature, whole(feature));
  enabled.get("IMFeat")!.capabilities = new Set(["NEWM", "GLBLU", "BLENT"]);
  if (!reactive) {
    enabled.set("PresenceFeat", {
      functions: new Set([
        "PresenceAuthFunc",
        "ContListFunc",
        "AttListFunc",
        "PresenceDeliverFunc",
      ]),
      capabilities: new Set([
        "GETWL",
        "GCLI",
        "CCLI",
        "DCLI",
        "MCLS",
        "CALI",
        "DALI",
        "GALS",
        "GETPR",
        "UPDPR",
      ]),
    });
  }
  enabled.set("FundamentalFeat", {
    functions: new Set(["InviteFunc", "SearchFunc"]),
    capabilities: new Set(["INVIT", "CAINV", "SRCH", "STSRC"]),
  });
  if (version === "1.1") enabled.get("PresenceFeat")!.capabilities.delete("GETAUT");

  const functions = node(response.Functions);
  if (!functions) return enabled;
  const root = node(functions.WVCSPFeat);
  if (!root) return enabled;
  if (names(root).length === 0) return new Map();
  for (const feature of FEATURES) {
    const denied = node(root[feature]);
    if (!denied) continue;
    if (names(denied).length === 0) {
      enabled.delete(feature);
      continue;
    }
    const kept = enabled.get(feature);
    if (!kept) continue;
    for (const [group, leaves] of Object.entries(TREE[feature])) {
      const g = node(denied[group]);
      if (!g) continue;
      if (names(g).length === 0) {
        kept.functions.delete(group);
        for (const leaf of leaves) kept.capabilities.delete(leaf);
      } else {
        for (const leaf of names(g)) kept.capabilities.delete(leaf);
      }
    }
  }
  return enabled;
}

/**
 * Android's engine keeps the answer's `AllFunctions` as its service tree and never consults it
 * again: everything is used as if agreed. A Service-Response without AllFunctions makes its
 * negotiation fail.
 */
export function androidReading(response: ElementObject): Enabled {
  if (!node(response.AllFunctions)) {
    throw new Error("Service-Response without AllFunctions: Android's engine fails here");
  }
  return new Map(FEATURES.map((f) => [f, whole(f)]));
}

/**
 * A reader of the spec's kind (the CSP 1.1 feature phone): the features it asked for, less
 * those the answer's `Functions` denies whole, and less the groups and leaves it denies.
 */
export function featurePhoneReading(asked: readonly string[], response: ElementObject): Enabled {
  const enabled: Enabled = new Map(asked.map((f) => [f, whole(f)]));
  const root = node(node(response.Functions)?.WVCSPFeat);
  if (!root) return enabled;
  if (names(root).length === 0) return new Map();
  for (const feature of asked) {
    const denied = node(root[feature]);
    if (!denied) continue;
    if (names(denied).length === 0) enabled.delete(feature);
    else {
      for (const group of names(denied)) {
        const leaves = names(node(denied[group]) ?? {});
        if (leaves.length === 0) enabled.get(feature)!.functions.delete(group);
        for (const leaf of leaves) enabled.get(feature)!.capabilities.delete(leaf);
      }
    }
  }
  return enabled;
}
