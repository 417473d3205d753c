/**
 * Reading decoded CSP bodies in tests without casts. A path is a list of steps: a child's
 * element name, or a position in a repeated child (`at(reply.body, "Presence", 0, "UserID")`).
 * Values come back as decoded, never coerced, so an assertion compares what the server sent;
 * the accessors say what the test expects to find there.
 *
 * A name steps into an element only (on a list it finds nothing: say which one with a
 * position). A position picks from a list; position 0 of a single value is that value, as for
 * a child the schema does not mark repeating.
 */
import type { ElementObject, ElementValue } from "../../src/codec/csp/message.ts";

/** What a path may lead to: a decoded value, a list of them, or nothing. */
export type Value = ElementValue | ElementValue[] | undefined;
/** An element name, or a position in a list. */
export type Step = string | number;

/** Whether `value` is an element (an object), not text, a number, a boolean or a list. */
export function isElement(value: Value): value is ElementObject {
  return typeof value === "object" && !Array.isArray(value);
}

/** The value at `path` under `value`, as decoded; undefined where the path leads nowhere. */
export function at(value: Value, ...path: Step[]): Value {
  let here = value;
  for (const step of path) {
    if (typeof step === "number") {
      here = Array.isArray(here) ? here[step] : step === 0 ? here : undefined;
    } else {
      here = isElement(here) ? here[step] : undefined;
    }
    if (here === undefined) return undefined;
  }
  return here;
}

/** The element at `path`; undefined where there is none (absent, or text there). */
export function node(value: Value, ...path: Step[]): ElementObject | undefined {
  const found = at(value, ...path);
  return isElement(found) ? found : undefined;
}

/** The element at `path`, which the test expects there: throws where there is none. */
export function element(value: Value, ...path: Step[]): ElementObject {
  const found = node(value, ...path);
  if (!found) throw new TypeError(`no element at ${path.join("/")}`);
  return found;
}

/** What is at `path` as a list: [] when absent, one value as a list of one. */
export function items(value: Value, ...path: Step[]): ElementValue[] {
  const found = at(value, ...path);
  return found === undefined ? [] : Array.isArray(found) ? found : [found];
}

/** The elements at `path` (one or many; [] when absent). Throws where something else is there,
 * so that a test expecting elements fails on text. */
export function nodes(value: Value, ...path: Step[]): ElementObject[] {
  return items(value, ...path).map((item) => {
    if (!isElement(item)) throw new TypeError(`not an element at ${path.join("/")}: ${item}`);
    return item;
  });
}

/** The text at `path`; undefined where there is none (absent, or not text). */
export function text(value: Value, ...path: Step[]): string | undefined {
  const found = at(value, ...path);
  return typeof found === "string" ? found : undefined;
}

/** `Result/Code` of a primitive's body, as a number (NaN without one). */
export function resultCode(body: Value): number {
  return Number(at(body, "Result", "Code"));
}

/** The `Code` of each `DetailedResult` in a primitive's `Result`. */
export function detailedCodes(body: Value): number[] {
  return nodes(body, "Result", "DetailedResult").map((detail) => Number(detail.Code));
}
