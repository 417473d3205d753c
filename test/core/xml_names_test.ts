/**
 * Interned ids of the WASM tokenizer: a file of its own, so the core's table starts empty here
 * (each test file has its own instance).
 */
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { DEFAULT_XML_LIMITS } from "../../src/codec/xml/tree.ts";
import { loadCore } from "../../src/core/mod.ts";
import {
  TOKEN_ID_SHIFT,
  TOKEN_KIND_MASK,
  TOKEN_OPEN,
  TOKEN_WORDS,
} from "../../src/core/xml_tokens.ts";

const wasm = await loadCore("wasm");
const encoder = new TextEncoder();
const LIMITS = DEFAULT_XML_LIMITS;

/** Each token's kind, id and bytes as text. */
function tokensOf(input: Uint8Array) {
  const r = wasm.tokenizer.tokenize(input, LIMITS.maxDepth, LIMITS.maxElements);
  return Array.from({ length: r.count }, (_, t) => {
    const [word, start, end] = r.tokens.subarray(t * TOKEN_WORDS, (t + 1) * TOKEN_WORDS);
    return {
      kind: word & TOKEN_KIND_MASK,
      id: word >>> TOKEN_ID_SHIFT,
      text: new TextDecoder().decode(input.subarray(start, end)),
    };
  });
}

Deno.test("the WASM tokenizer gives the same bytes the same id, other bytes another, long ones none", () => {
  const long = "L".repeat(200);
  const input = encoder.encode(
    `<Root xmlns="urn:x"><Item kind="urn:x"/><Item kind="a&amp;b"/><Other/><${long}/></Root>`,
  );
  const tokens = tokensOf(input);
  const idOf = (text: string, kind = TOKEN_OPEN) => {
    const ids = new Set(tokens.filter((t) => t.text === text && t.kind === kind).map((t) => t.id));
    equal(ids.size, 1, `${text}: one id wherever it occurs`);
    return [...ids][0];
  };
  const [root, item, other] = [idOf("Root"), idOf("Item"), idOf("Other")];
  ok(root > 0 && item > 0 && other > 0);
  equal(new Set([root, item, other]).size, 3, "different names, different ids");
  const values = tokens.filter((t) => t.text === "urn:x").map((t) => t.id);
  deepStrictEqual(values, [values[0], values[0]], "both attribute values alike");
  equal(idOf(long), 0, "too long to intern");
  equal(tokens.find((t) => t.text === "a&amp;b")!.id, 0, "values with references are decoded");
  const tree = wasm.parseXml(input, LIMITS);
  deepStrictEqual(
    tree.children.map((c) => [c.name, c.attrs.kind]),
    [["Item", "urn:x"], ["Item", "a&b"], ["Other", undefined], [long, undefined]],
  );
});

Deno.test("a flood of distinct names fills the table; the next document starts it over", () => {
  const flood = Array.from({ length: 3000 }, (_, i) => `N${i}`);
  const doc = encoder.encode(`<r>${flood.map((n) => `<${n}/>`).join("")}</r>`);
  const opens = tokensOf(doc).filter((t) => t.kind === TOKEN_OPEN);
  ok(opens.some((t) => t.id === 0), "past the table's room, names get no id");
  deepStrictEqual(wasm.parseXml(doc, LIMITS).children.map((c) => c.name), flood);

  const next = encoder.encode("<Fresh><N2999/><N0/></Fresh>");
  ok(tokensOf(next).filter((t) => t.kind === TOKEN_OPEN).every((t) => t.id > 0), "ids again");
  deepStrictEqual(wasm.parseXml(next, LIMITS).children.map((c) => c.name), ["N2999", "N0"]);
});
