import assert from "node:assert/strict";
import type { ElementObject } from "../../src/codec/csp/message.ts";
import {
  at,
  detailedCodes,
  element,
  items,
  node,
  nodes,
  resultCode,
  text,
} from "../support/body_reader.ts";

/** A GetPresence-Response as the codec decodes it: Presence repeats, its UserID does not. */
const body: ElementObject = {
  Result: { Code: 201, DetailedResult: [{ Code: 531, UserID: ["wv:nobody@example.com"] }] },
  Presence: [{ UserID: "wv:alice@example.com" }, { UserID: "wv:bob@example.com" }],
};

Deno.test("a path of names and positions reads a reply as decoded", () => {
  assert.equal(at(body, "Presence", 1, "UserID"), "wv:bob@example.com");
  assert.equal(text(body, "Presence", 0, "UserID"), "wv:alice@example.com");
  assert.equal(at(body, "Result", "Code"), 201, "numbers stay numbers");
  assert.equal(text(body, "Result", "Code"), undefined, "and are not text");
  assert.equal(resultCode(body), 201);
  assert.deepEqual(detailedCodes(body), [531]);
  assert.equal(at(body, "Result", "DetailedResult", 0, "UserID", 0), "wv:nobody@example.com");
  assert.equal(at(body, "Result", 0, "Code"), 201, "position 0 of a single value is the value");
});

Deno.test("a path that leads nowhere finds nothing; expecting an element there throws", () => {
  assert.equal(at(body, "Presence", "UserID"), undefined, "a name does not step into a list");
  assert.equal(at(body, "Presence", 2), undefined);
  assert.equal(at(body, "Result", 1), undefined);
  assert.equal(node(body, "Presence", 0, "UserID"), undefined, "text is not an element");
  assert.deepEqual(items(body, "Nothing"), []);
  assert.deepEqual(nodes(body, "Nothing"), []);
  assert.equal(nodes(body, "Presence").length, 2);
  assert.throws(() => element(body, "Nothing"), TypeError);
  assert.throws(() => nodes(body, "Presence", 0, "UserID"), TypeError);
  assert.equal(resultCode({}), NaN);
});
