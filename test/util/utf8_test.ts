import { equal } from "node:assert/strict";
import { utf8Length } from "../../src/util/utf8.ts";

Deno.test("utf8Length counts the bytes TextEncoder writes", () => {
  const samples = [
    "",
    "plain ASCII",
    "café",
    "日本語のテキスト",
    "emoji 😀 and 👍🏽",
    "lone high \ud800 surrogate",
    "lone low \udc00 surrogate",
    "high at the end \ud83d",
    "\u007f\u0080\u07ff\u0800\uffff",
  ];
  for (const text of samples) {
    equal(utf8Length(text), new TextEncoder().encode(text).length, JSON.stringify(text));
  }
});
