/** The primitives this server implements, found by element name, and the Functions tree they make. */
import type { CspVersion, ElementObject } from "../codec/csp/message.ts";
import type { AckModule, FunctionPath, PrimitiveModule, PrimitiveRegistry } from "./handler.ts";

export class Registry implements PrimitiveRegistry {
  readonly #primitives = new Map<string, PrimitiveModule>();
  readonly #acks = new Map<string, AckModule>();
  /** Each module's function key, made once: every request checks its module's. */
  readonly #functionKeys = new Map<PrimitiveModule, string>();

  add(...modules: readonly PrimitiveModule[]): this {
    for (const m of modules) {
      if (this.#primitives.has(m.name)) throw new Error(`primitive ${m.name} registered twice`);
      this.#primitives.set(m.name, m);
      if (m.function) this.#functionKeys.set(m, functionKey(m.function));
    }
    return this;
  }

  functionKey(module: PrimitiveModule): string | undefined {
    return this.#functionKeys.get(module);
  }

  addAck(...modules: readonly AckModule[]): this {
    for (const m of modules) this.#acks.set(m.name, m);
    return this;
  }

  primitive(name: string, version: CspVersion): PrimitiveModule | undefined {
    const m = this.#primitives.get(name);
    return m && (!m.versions || m.versions.includes(version)) ? m : undefined;
  }

  primitives(): PrimitiveModule[] {
    return [...this.#primitives.values()];
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

/** A function path as its `Feature/Group/LEAF` key. */
export function functionKey(path: FunctionPath): string {
  return path.join("/");
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
