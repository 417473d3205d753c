import assert from "node:assert/strict";
import {
  hashPassword,
  loginDigest,
  Sealer,
  toBase64,
  verifyPassword,
} from "../../src/util/crypto.ts";

Deno.test("an MD5 login digest matches the one a real server accepted (Baraza capture)", () => {
  const digest = loginDigest("MD5", "8f4bdef85d79310cb1afc3816ab6498f", "secret");
  assert.equal(toBase64(digest), "KIO8jjP5p/lZjsB1RBci5Q==");
});

Deno.test("password hashes are salted and verify only the right password", async () => {
  const a = await hashPassword("secret", 1000);
  const b = await hashPassword("secret", 1000);
  assert.notEqual(a.hash, b.hash);
  assert.equal(await verifyPassword("secret", a), true);
  assert.equal(await verifyPassword("Secret", a), false);
});

Deno.test("sealed passwords open only with the same key and context", async () => {
  const sealer = await Sealer.fromSecret("0123456789abcdef-one");
  const sealed = await sealer.seal("secret", "wv:bob@example.com");
  assert.equal(await sealer.open(sealed, "wv:bob@example.com"), "secret");
  assert.equal(await sealer.open(sealed, "wv:eve@example.com"), undefined);
  const other = await Sealer.fromSecret("0123456789abcdef-two");
  assert.equal(await other.open(sealed, "wv:bob@example.com"), undefined);
});
