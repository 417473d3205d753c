/**
 * Presence across domains over SSP: alice@a.test watches bob@b.test, who authorises her like a
 * local watcher; his updates reach her by polling on a.test; GetPresence crosses too; unsubscribe,
 * blocking and denied domains behave as they do locally.
 */
import assert from "node:assert/strict";
import type { ElementObject } from "../../src/codec/csp/message.ts";
import { obj, str } from "../../src/session/values.ts";
import type { CspClient } from "../support/harness.ts";
import {
  freePort,
  PEER_WIRES,
  pollFor,
  RELAY_WAIT_MS,
  startDomains,
  startNode,
} from "./ssp_support.ts";
import { at, element, nodes } from "../support/body_reader.ts";

const BOB = "wv:bob@b.test";
const ALICE = "wv:alice@a.test";

const subscribe = (user: string) =>
  `<SubscribePresence-Request><User><UserID>${user}</UserID></User>` +
  `<PresenceSubList xmlns="http://www.openmobilealliance.org/DTD/WV-PA1.2"><OnlineStatus/>` +
  `<StatusText/></PresenceSubList></SubscribePresence-Request>`;
const unsubscribe = (user: string) =>
  `<UnsubscribePresence-Request><User><UserID>${user}</UserID></User></UnsubscribePresence-Request>`;
const statusText = (text: string) =>
  `<UpdatePresence-Request><PresenceSubList xmlns="http://www.openmobilealliance.org/DTD/WV-PA1.2">` +
  `<StatusText><Qualifier>T</Qualifier><PresenceValue>${text}</PresenceValue></StatusText>` +
  `</PresenceSubList></UpdatePresence-Request>`;
const getPresence = (user: string) =>
  `<GetPresence-Request><User><UserID>${user}</UserID></User></GetPresence-Request>`;

/** The next PresenceNotification-Request about `owner` (acknowledged), as its PresenceSubList. */
async function nextPresence(client: CspClient, owner: string): Promise<ElementObject> {
  for (;;) {
    const t = await pollFor(client, "PresenceNotification-Request");
    await client.send("<Status><Result><Code>200</Code></Result></Status>", {
      mode: "Response",
      transactionId: t.transactionId,
    });
    const presence = element(t.primitive.body, "Presence", 0);
    if (str(presence.UserID) === owner) return obj(presence.PresenceSubList) ?? {};
  }
}

const valueOf = (list: ElementObject, name: string) => str(obj(list[name])?.PresenceValue);

/** The watchers bob's server lists for him. */
async function watchersOf(client: CspClient): Promise<string[]> {
  const reply = await client.send("<GetWatcherList-Request/>");
  return nodes(reply.body, "Watcher").map((w) => str(at(w, "User", 0, "UserID"))!);
}

/** Retries `check` until it holds (relayed work takes a moment). */
async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + RELAY_WAIT_MS;
  while (!await check()) {
    if (Date.now() > deadline) throw new Error(`never: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

for (const wire of PEER_WIRES) {
  Deno.test(`alice@a.test subscribes to bob@b.test; bob grants; his updates reach her; she unsubscribes (${wire} peer)`, async () => {
    const [a, b] = await startDomains(["a.test", "b.test"], {}, wire);
    try {
      const [alice, carol] = await a.login("alice", "carol");
      const [bob] = await b.login("bob");

      // Answered at once on a.test: the subscription is stored there and queued for b.test.
      assert.equal((await alice.send(subscribe(BOB))).code, 200);
      assert.equal((await carol.send(subscribe(BOB))).code, 200);

      // On b.test alice is a watcher like any other: bob is asked about her, and grants.
      const asked = await pollFor(bob, "PresenceAuth-Request");
      const askedFor = str(asked.primitive.body.UserID);
      assert.ok(askedFor === ALICE || askedFor === "wv:carol@a.test", askedFor);
      for (const watcher of [ALICE, "wv:carol@a.test"]) {
        const granted = await bob.send(
          `<PresenceAuth-User><UserID>${watcher}</UserID><Acceptance>T</Acceptance></PresenceAuth-User>`,
        );
        assert.equal(granted.code, 200);
      }
      // carol's subscription may reach b.test after bob's grant: she is a watcher once it has.
      await eventually(
        async () => (await watchersOf(bob)).sort().join() === [ALICE, "wv:carol@a.test"].join(),
        "b.test has alice and carol as bob's watchers",
      );

      // The grant sends what bob shows now: online (from his login), only what alice asked for.
      const first = await nextPresence(alice, BOB);
      assert.equal(valueOf(first, "OnlineStatus"), "T");
      assert.equal(first.UserAvailability, undefined, "not subscribed to");

      assert.equal((await bob.send(statusText("at lunch"))).code, 200);
      assert.equal(valueOf(await nextPresence(alice, BOB), "StatusText"), "at lunch");

      // GetPresence crosses too, cut to what bob lets her see.
      const got = await alice.send(getPresence(BOB));
      assert.equal(got.code, 200);
      const presence = element(got.body, "Presence", 0);
      assert.equal(str(presence.UserID), BOB);
      assert.equal(valueOf(obj(presence.PresenceSubList)!, "StatusText"), "at lunch");

      // alice leaves: b.test forgets her, and bob's next update reaches only carol.
      assert.equal((await alice.send(unsubscribe(BOB))).code, 200);
      await eventually(
        async () => !(await watchersOf(bob)).includes(ALICE),
        "b.test drops alice as a watcher",
      );
      assert.equal((await bob.send(statusText("back"))).code, 200);
      let carolSees: string | undefined;
      while (carolSees !== "back") {
        carolSees = valueOf(await nextPresence(carol, BOB), "StatusText");
      }
      const reply = await alice.send("<Polling-Request/>", { transactionId: "" });
      assert.ok(reply.empty, `alice got nothing more: ${reply.text}`);
    } finally {
      await a.close();
      await b.close();
    }
  });
}

for (const wire of PEER_WIRES) {
  Deno.test(`auto-grant on b.test: the subscription alone shows bob's presence; blocking hides it (${wire} peer)`, async () => {
    const [a, b] = await startDomains(
      ["a.test", "b.test"],
      { IMPS_PRESENCE_AUTOGRANT: "true" },
      wire,
    );
    try {
      const [alice] = await a.login("alice");
      const [bob] = await b.login("bob");
      assert.equal((await bob.send(statusText("hello world"))).code, 200);
      assert.equal((await alice.send(subscribe(BOB))).code, 200);
      assert.equal(valueOf(await nextPresence(alice, BOB), "StatusText"), "hello world");

      const blocked = await bob.send(
        `<BlockEntity-Request><BlockList><InUse>T</InUse><AddList><UserID>${ALICE}</UserID>` +
          `</AddList></BlockList></BlockEntity-Request>`,
      );
      assert.equal(blocked.code, 200);
      const got = await alice.send(getPresence(BOB));
      assert.equal(got.code, 200);
      const presence = element(got.body, "Presence", 0);
      assert.equal(str(presence.UserID), BOB);
      assert.deepEqual(
        Object.keys(obj(presence.PresenceSubList) ?? {}).filter((k) => !k.startsWith("@")),
        [],
        "a blocked watcher sees nothing, as an unknown user would",
      );

      // An unknown user of b.test looks the same.
      const unknown = await alice.send(getPresence("wv:nobody@b.test"));
      assert.equal(unknown.code, 200);
      const none = element(unknown.body, "Presence", 0);
      assert.deepEqual(
        Object.keys(obj(none.PresenceSubList) ?? {}).filter((k) => !k.startsWith("@")),
        [],
      );
    } finally {
      await a.close();
      await b.close();
    }
  });
}

Deno.test("presence of denied and unreachable domains: 516 at once, 503 when no answer comes", async () => {
  const a = await startNode("a.test", await freePort(), {
    peers: { "gone.test": await freePort() },
    env: { IMPS_SSP_DENY: "evil.test" },
  });
  try {
    const [alice] = await a.login("alice");
    const denied = await alice.send(subscribe("wv:x@evil.test"));
    assert.equal(denied.code, 516, denied.text);
    const unreachable = await alice.send(getPresence("wv:zed@gone.test"));
    assert.equal(unreachable.code, 503, unreachable.text);
  } finally {
    await a.close();
  }
});
