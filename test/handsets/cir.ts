/**
 * What the server agrees of the CIR methods a handset offers, and so how the handset then
 * learns that something waits for it. The one place to change when the server gains CIR
 * channels: today no method is agreed, and every engine falls back to polling.
 */
import assert from "node:assert/strict";
import type { ElementObject } from "../../src/codec/csp/message.ts";
import type { HandsetProfile } from "./profiles.ts";

/** How the handset waits for server-originated transactions after capability agreement. */
export type Waiting = { kind: "poll"; everySeconds: number };

/** Checks the agreed capabilities against today's agreement for the profile's CIR offer. */
export function expectCirAgreement(profile: HandsetProfile, agreed: ElementObject): Waiting {
  assert.ok(profile.cirMethods.length > 0, `${profile.id} offers CIR methods`);
  assert.equal(
    agreed.SupportedCIRMethod,
    undefined,
    `no CIR method is agreed yet (offered ${profile.cirMethods.join(", ")})`,
  );
  const pollMin = Number(agreed.ServerPollMin);
  assert.ok(pollMin >= 1, "ServerPollMin is agreed, so the client knows how often to poll");
  return { kind: "poll", everySeconds: Math.max(pollMin, profile.polling.initialSeconds) };
}
