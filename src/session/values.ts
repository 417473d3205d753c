/**
 * Tolerant readers for decoded element values: clients differ in what they send. A request body
 * is read only through these: it is what the client sent, decoded but unchecked (a text element
 * with attributes is an object, a child sent twice is a list, a number may be text), so each
 * reader answers undefined for what is not of its kind, and takes the first of a repeated value.
 */
import type { ElementObject, ElementValue } from "../codec/csp/message.ts";

export type Value = ElementValue | ElementValue[] | undefined;

const first = (v: Value): ElementValue | undefined => Array.isArray(v) ? v[0] : v;

export function str(v: Value): string | undefined {
  const x = first(v);
  if (typeof x === "string") return x;
  if (typeof x === "number") return String(x);
  if (typeof x === "boolean") return x ? "T" : "F";
  return undefined;
}

export function int(v: Value): number | undefined {
  const x = first(v);
  if (typeof x === "number") return x;
  if (typeof x === "string" && /^\s*\d{1,10}\s*$/.test(x)) return Number(x);
  return undefined;
}

export function bool(v: Value): boolean | undefined {
  const x = first(v);
  if (typeof x === "boolean") return x;
  if (x === "T") return true;
  if (x === "F") return false;
  return undefined;
}

export function obj(v: Value): ElementObject | undefined {
  const x = first(v);
  return x !== null && typeof x === "object" ? x : undefined;
}

/** The value under a path of child names (`nested(body, "Sender", "User", "UserID")`), taking
 * the first where a child repeats; undefined where the path leads nowhere. */
export function nested(v: Value, ...names: string[]): Value {
  for (const name of names) v = obj(v)?.[name];
  return v;
}

/** Always an array: one value or many. */
export function all(v: Value): ElementValue[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

export function strs(v: Value): string[] {
  return all(v).map((x) => str(x)).filter((x): x is string => x !== undefined);
}
