/** A peer's presence values: what is valid is kept, what is not is left out and logged. */
import assert from "node:assert/strict";
import { DEFAULT_XML_LIMITS } from "../../src/codec/xml/tree.ts";
import { loadCore } from "../../src/core/mod.ts";
import { readPresence } from "../../src/services/relay/presence_values.ts";

const core = await loadCore("ts");
const list = (inner: string) =>
  core.parseXml(
    new TextEncoder().encode(`<PresenceSubList>${inner}</PresenceSubList>`),
    DEFAULT_XML_LIMITS,
  );

Deno.test("Baraza relays UserAvailability BUSY: the other attributes stay, BUSY is logged", () => {
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (text: string) => warnings.push(text);
  try {
    const presence = readPresence(
      list(
        `<OnlineStatus><Qualifier>T</Qualifier><PresenceValue>T</PresenceValue></OnlineStatus>` +
          `<UserAvailability><Qualifier>T</Qualifier><PresenceValue>\nBUSY\n</PresenceValue></UserAvailability>` +
          `<StatusText><Qualifier>T</Qualifier><PresenceValue>on the phone</PresenceValue></StatusText>`,
      ),
      "b.test",
    )!;
    assert.deepEqual(presence.StatusText, { Qualifier: true, PresenceValue: "on the phone" });
    assert.equal(presence.UserAvailability, undefined);
    assert.ok(presence.OnlineStatus);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /b\.test.*UserAvailability/);
  } finally {
    console.warn = warn;
  }
});

Deno.test("presence with nothing valid is no presence", () => {
  const warn = console.warn;
  console.warn = () => {};
  try {
    assert.equal(
      readPresence(
        list(
          `<UserAvailability><Qualifier>T</Qualifier><PresenceValue>BUSY</PresenceValue></UserAvailability>`,
        ),
      ),
      undefined,
    );
  } finally {
    console.warn = warn;
  }
});
