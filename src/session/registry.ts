/** The primitives this server implements, found by element name, and the Functions tree they make. */
import type { CspVersion, ElementObject } from "../codec/csp/message.ts";
import type { AckModule, FunctionPath, PrimitiveModule } from "./handler.ts";

export class Registry {
  readonly #primitives = new Map<string, PrimitiveModule>();
  readonly #acks = new Map<string, AckModule>();

  add(...modules: PrimitiveModule[]): this {
    for (const m of modules) {
      if (this.#primitives.has(m.name)) throw new Error(`primitive ${m.name} registered twice`);
      this.#primitives.set(m.name, m);
    }
    return this;
  }

  addAck(...modules: AckModule[]): this {
    for (const m of modules) this.#acks.set(m.name, m);
    return this;
  }

  primitive(name: string, version: CspVersion): PrimitiveModule | undefined {
    const m = this.#primitives.get(name);
    return m && (!m.versions || m.versions.includes(version)) ? m : undefined;
  }

  ack(name: string): AckModule | undefined {
    return this.#acks.get(name);
  }

  /** Function leaves implemented for a version, as `Feature/Group/LEAF` keys. */
  implemented(version: CspVersion): Set<string> {
    const keys = new Set<string>();
    for (const m of this.#primitives.values()) {
      if (m.versions && !m.versions.includes(version)) continue;
      if (m.function) keys.add(functionKey(m.function));
      for (const path of m.serverFunctions ?? []) keys.add(functionKey(path));
    }
    return keys;
  }
}

/** Keys of the paths modules declare, made once: every request checks its module's. */
const pathKeys = new WeakMap<FunctionPath, string>();

export function functionKey(path: FunctionPath): string {
  let key = pathKeys.get(path);
  if (key === undefined) pathKeys.set(path, key = path.join("/"));
  return key;
}

/** Builds `WVCSPFeat{Feature{Group{LEAF}}}` from `Feature/Group/LEAF` keys, in a stable order. */
export function functionTree(keys: Iterable<string>): ElementObject {
  const features: Record<string, Record<string, Record<string, ElementObject>>> = {};
  for (const key of [...keys].sort()) {
    const [feature, group, leaf] = key.split("/");
    ((features[feature] ??= {})[group] ??= {})[leaf] = {};
  }
  return { WVCSPFeat: features };
}

/**
 * Reads a Functions tree sent by a client into `Feature/Group/LEAF` keys, limited to `known`.
 * An empty feature or group element asks for all of it (digest §2.2), as do the mandatory-set
 * markers MF/MP/MM/MG.
 */
export function requestedFunctions(
  tree: ElementObject | undefined,
  known: Set<string>,
): Set<string> {
  const wanted = new Set<string>();
  const root = tree?.WVCSPFeat;
  if (!root || typeof root !== "object" || Array.isArray(root)) return wanted;
  const whole = isEmpty(root);
  for (const key of known) {
    const [feature, group, leaf] = key.split("/");
    if (whole) {
      wanted.add(key);
      continue;
    }
    const f = (root as ElementObject)[feature];
    if (f === undefined || typeof f !== "object" || Array.isArray(f)) continue;
    const fo = f as ElementObject;
    if (isEmpty(fo) || MANDATORY_MARKER[feature] in fo) {
      wanted.add(key);
      continue;
    }
    const g = fo[group];
    if (g === undefined || typeof g !== "object" || Array.isArray(g)) continue;
    if (isEmpty(g as ElementObject) || leaf in (g as ElementObject)) wanted.add(key);
  }
  return wanted;
}

const MANDATORY_MARKER: Record<string, string> = {
  FundamentalFeat: "MF",
  PresenceFeat: "MP",
  IMFeat: "MM",
  GroupFeat: "MG",
};

function isEmpty(o: object): boolean {
  // `@attrs` and `#text` are the codec's keys for attributes and text, not child elements.
  return Object.keys(o).filter((k) => !k.startsWith("@") && !k.startsWith("#")).length === 0;
}
