/**
 * Presence from a peer written by hand on raw TCP, in Baraza's shape (newline-padded values, one
 * OnlineStatus per client, no `wv:` on the recipient): pushed for a user who never subscribed it
 * is dropped; after bob subscribes (the SubscribeRequest reaches the peer), it reaches him.
 */
import assert from "node:assert/strict";
import { obj, str } from "../../src/session/values.ts";
import { freePort, pollFor, pollUntil, startNode } from "./ssp_support.ts";
import { handshake, received, sendInSession } from "./wire_support.ts";
import { element } from "../support/body_reader.ts";

const notification = (text: string) =>
  `<PresenceNotification>\n<User userID="bob@s.test"/>\n<PresenceValue userID="wv:walt@w.test">` +
  `<PresenceSubList>\n<OnlineStatus>\n<Qualifier>\nT\n</Qualifier>\n<PresenceValue>\nT\n</PresenceValue>` +
  `\n<ClientID>\n<URL>\nhttp://client.example/walt1\n</URL>\n</ClientID>\n</OnlineStatus>` +
  `<OnlineStatus><Qualifier>T</Qualifier><PresenceValue>T</PresenceValue><ClientID><URL>` +
  `http://client.example/walt2</URL></ClientID></OnlineStatus>` +
  `<StatusText>\n<Qualifier>\nT\n</Qualifier>\n<PresenceValue>\n${text}\n</PresenceValue>\n</StatusText>` +
  `</PresenceSubList></PresenceValue></PresenceNotification>`;

Deno.test("wire: a peer's PresenceNotification reaches only a watcher who subscribed", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: await freePort() });
  const serverPort = await freePort();
  const s = await startNode("s.test", serverPort, {
    peers: { "w.test": (listener.addr as Deno.NetAddr).port },
  });
  const peer = await handshake(serverPort, listener);
  try {
    const [bob] = await s.login("bob");
    await sendInSession(peer, "Request", "n1", notification("unasked"));
    // Nothing for bob: he never subscribed to walt (KeepAlive shows nothing waiting).
    assert.equal((await bob.send("<KeepAlive-Request/>")).poll, false);

    const subscribed = await bob.send(
      `<SubscribePresence-Request><User><UserID>wv:walt@w.test</UserID></User>` +
        `</SubscribePresence-Request>`,
    );
    assert.equal(subscribed.code, 200);
    const request = await received(peer.in);
    assert.match(request.body, /<SubscribeRequest><MetaInfo clientOriginated="Yes">/);
    assert.match(request.body, /<User userID="wv:bob@s.test"\/>/);
    assert.match(request.body, /<UserID userID="wv:walt@w.test"\/>/);
    // Baraza answers with a bare Status.
    await sendInSession(peer, "Response", request.scan.transactionId!, `<Status code="200"/>`);

    await sendInSession(peer, "Request", "n2", notification("Back at my desk"));
    const got = await pollFor(bob, "PresenceNotification-Request");
    const presence = element(got.primitive.body, "Presence", 0);
    assert.equal(str(presence.UserID), "wv:walt@w.test");
    const list = obj(presence.PresenceSubList)!;
    assert.equal(str(obj(list.StatusText)?.PresenceValue), "Back at my desk");
    assert.equal([list.OnlineStatus].flat().length, 2, "one OnlineStatus per client, kept");
  } finally {
    peer.out.conn.close();
    peer.in.conn.close();
    listener.close();
    await s.close();
  }
});

Deno.test("wire: a peer's notifications, sent one after another, apply in that order: bob sees the last", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: await freePort() });
  const serverPort = await freePort();
  const s = await startNode("s.test", serverPort, {
    peers: { "w.test": (listener.addr as Deno.NetAddr).port },
  });
  const peer = await handshake(serverPort, listener);
  try {
    const [bob] = await s.login("bob");
    const subscribed = await bob.send(
      `<SubscribePresence-Request><User><UserID>wv:walt@w.test</UserID></User>` +
        `</SubscribePresence-Request>`,
    );
    assert.equal(subscribed.code, 200);
    const request = await received(peer.in);
    await sendInSession(peer, "Response", request.scan.transactionId!, `<Status code="200"/>`);

    // Each is answered at once and applied after. The first is addressed to many users besides
    // bob, so it takes longer to apply than the second: it must not land last all the same.
    const others = Array.from({ length: 200 }, (_, i) => `<User userID="u${i}@s.test"/>`).join("");
    await sendInSession(
      peer,
      "Request",
      "u1",
      notification("update 1").replace("<PresenceNotification>", `<PresenceNotification>${others}`),
    );
    await sendInSession(peer, "Request", "u2", notification("update 2"));
    const statusOf = (body: Parameters<typeof element>[0]) =>
      str(obj(obj(element(body, "Presence", 0).PresenceSubList)?.StatusText)?.PresenceValue);
    await pollUntil(bob, "PresenceNotification-Request", (b) => statusOf(b) === "update 2");
    await new Promise((resolve) => setTimeout(resolve, 300));
    const after = await bob.send("<Polling-Request/>", { transactionId: "" });
    assert.ok(after.empty, `nothing older comes after update 2: ${after.text}`);
  } finally {
    peer.out.conn.close();
    peer.in.conn.close();
    listener.close();
    await s.close();
  }
});
