/** Baraza's captured SSP traffic (fixtures ssp-*.http) read by our codec. */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { Buffer } from "node:buffer";
import {
  readDeliveryStatusReport,
  readLoginRequest,
  readLoginResponse,
  readPresenceRequest,
  readPresenceValues,
  readSendMessageRequest,
  readSendSecretToken,
  type SspMessage,
  statusCode,
} from "../../src/codec/ssp/mod.ts";
import { haveBarazaFixtures } from "../support/baraza.ts";
import { capturedSsp } from "./wire_support.ts";
import { readPresence } from "../../src/services/presence/federation_values.ts";

const present = await haveBarazaFixtures(
  "Baraza SSP fixtures",
  "ssp-01-a2b-SendSecretToken-request.http",
);

function only(message: SspMessage) {
  return message.kind === "setup" ? message.transaction : message.transactions[0];
}

Deno.test({
  name: "Baraza's handshake: procotolVersion tokens, MD5 digests of the peer's token",
  ignore: !present,
  async fn() {
    const tokenA = readSendSecretToken(
      only(await capturedSsp("ssp-01-a2b-SendSecretToken-request.http")).primitive,
    )!;
    const tokenB = readSendSecretToken(
      only(await capturedSsp("ssp-02-b2a-SendSecretToken-response.http")).primitive,
    )!;
    assert.deepEqual([tokenA.domain, tokenA.version, tokenB.domain], ["a.test", "1.3", "b.test"]);
    const md5 = (s: string) => createHash("md5").update(Buffer.from(s)).digest("base64");
    const loginA = readLoginRequest(
      only(await capturedSsp("ssp-03-a2b-LoginRequest-request.http")).primitive,
    )!;
    const loginB = readLoginRequest(
      only(await capturedSsp("ssp-04-b2a-LoginRequest-response.http")).primitive,
    )!;
    assert.equal(loginA.digest, md5(tokenB.token));
    assert.equal(loginB.digest, md5(tokenA.token));
    const session = readLoginResponse(
      only(await capturedSsp("ssp-05-a2b-LoginResponse-request.http")).primitive,
    )!;
    assert.deepEqual(session, { sessionId: "1@a.test", timeToLive: 86400, code: 200 });
  },
});

Deno.test({
  name: "Baraza's messages, reports and answers are understood",
  ignore: !present,
  async fn() {
    const send = await capturedSsp("ssp-07-a2b-SendMessageRequest-request.http");
    assert.equal(send.kind === "session" && send.sessionId, "1@a.test");
    const message = readSendMessageRequest(only(send).primitive);
    assert.ok(!("code" in message));
    assert.equal(message.content, "Hi Bob at B!");
    assert.deepEqual([message.sender, message.recipients, message.deliveryReport], [
      "wv:alice@a.test",
      ["wv:bob@b.test"],
      true,
    ]);
    const answer = only(await capturedSsp("ssp-08-b2a-SendMessageResponse-response.http"));
    assert.equal(answer.mode, "Response");
    assert.equal(statusCode(answer.primitive), 200);
    const report = readDeliveryStatusReport(
      only(await capturedSsp("ssp-09-b2a-DeliveryStatusReport-request.http")).primitive,
    )!;
    // Baraza drops "wv:" from the owner; the relay qualifies it again when it reads it.
    assert.deepEqual([report.owner, report.recipient, report.code], [
      "alice@a.test",
      "wv:bob@b.test",
      200,
    ]);
    for (
      const name of [
        "ssp-10-b2a-SubscribeRequest-request.http",
        "ssp-12-a2b-PresenceNotification-request.http",
        "ssp-14-b2a-GetPresenceRequest-request.http",
        "ssp-16-b2a-JoinGroupRequest-request.http",
        "ssp-18-a2b-GroupChangeNotice-request.http",
      ]
    ) {
      assert.equal(only(await capturedSsp(name)).mode, "Request", name);
    }
  },
});

Deno.test({
  name: "Baraza's presence transactions: subscription, notification, GetPresence both ways",
  ignore: !present,
  async fn() {
    const subscribe = readPresenceRequest(
      only(await capturedSsp("ssp-10-b2a-SubscribeRequest-request.http")).primitive,
    );
    assert.deepEqual(subscribe, {
      requestor: { domain: "b.test", userId: "wv:bob@b.test" },
      users: ["wv:alice@a.test"],
      attributes: ["OnlineStatus", "UserAvailability", "StatusText"],
    });
    // Baraza's "(null)" attribute list asks for everything.
    const get = readPresenceRequest(
      only(await capturedSsp("ssp-14-b2a-GetPresenceRequest-request.http")).primitive,
    );
    assert.deepEqual([get.users, get.attributes], [["wv:alice@a.test"], "all"]);

    const notification = only(await capturedSsp("ssp-12-a2b-PresenceNotification-request.http"));
    const [value] = readPresenceValues(notification.primitive);
    assert.equal(value.userId, "wv:alice@a.test");
    // Newline-padded values, one OnlineStatus and CommCap per client: all kept, trimmed.
    const presence = readPresence(value.list)!;
    assert.equal((presence.OnlineStatus as unknown[]).length, 3);
    assert.equal((presence.CommCap as unknown[]).length, 3);
    assert.deepEqual(presence.StatusText, { Qualifier: true, PresenceValue: "Back at my desk" });
    assert.deepEqual(presence.UserAvailability, { Qualifier: true, PresenceValue: "AVAILABLE" });

    const answer = only(await capturedSsp("ssp-15-a2b-GetPresenceResponse-response.http"));
    const [got] = readPresenceValues(answer.primitive);
    assert.deepEqual(readPresence(got.list)!.StatusText, {
      Qualifier: true,
      PresenceValue: "In a meeting",
    });
  },
});
