import assert from "node:assert/strict";
import { AccountError, parseUsersFile } from "../../src/accounts.ts";

Deno.test("a users file lists one user a line; the password is the rest of the line", () => {
  const text =
    "# demo users\r\n\nalice secret\r\n  wv:Bob@example.com   two words \nCarol@example.com x\n";
  assert.deepEqual(parseUsersFile(text, "example.com"), [
    { id: "wv:alice@example.com", password: "secret" },
    { id: "wv:bob@example.com", password: "two words" },
    { id: "wv:carol@example.com", password: "x" },
  ]);
});

Deno.test("a users file with a bad line is refused, naming the line", () => {
  const cases: [string, RegExp][] = [
    ["alice\n", /^line 1: expected <user-id> <password>$/],
    ["alice pw\nbob@other.org pw\n", /^line 2: wv:bob@other\.org is not in this server's domain/],
    ["alice pw\n\nwv:alice@example.com pw2\n", /^line 3: wv:alice@example\.com is listed twice$/],
    ["a/b pw\n", /^line 1: "a\/b" is not a valid user id$/],
  ];
  for (const [text, message] of cases) {
    assert.throws(
      () => parseUsersFile(text, "example.com"),
      (e: unknown) => e instanceof AccountError && message.test(e.message),
      text,
    );
  }
});
