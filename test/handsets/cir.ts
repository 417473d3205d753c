/**
 * What the server agrees of the CIR methods a handset offers, and so how the handset then
 * learns that something waits for it: the methods the server has enabled (and can use for this
 * session), always in the engine's own order; with none, the engine falls back to polling.
 */
import assert from "node:assert/strict";
import type { ElementObject } from "../../src/codec/csp/message.ts";
import type { HandsetProfile } from "./profiles.ts";

/** How the handset waits for server-originated transactions after capability agreement. */
export type Waiting = { kind: "poll"; everySeconds: number } | { kind: "cir"; methods: string[] };

/** Checks the agreed capabilities against the profile's CIR offer. */
export function expectCirAgreement(profile: HandsetProfile, agreed: ElementObject): Waiting {
  assert.ok(profile.cirMethods.length > 0, `${profile.id} offers CIR methods`);
  const methods = [agreed.SupportedCIRMethod ?? []].flat().map(String);
  if (methods.length > 0) {
    assert.deepEqual(
      methods,
      profile.cirMethods.filter((m) => methods.includes(m)),
      `only what ${profile.id} offered (${profile.cirMethods.join(", ")}), in its order`,
    );
    return { kind: "cir", methods };
  }
  const pollMin = Number(agreed.ServerPollMin);
  assert.ok(pollMin >= 1, "ServerPollMin is agreed, so the client knows how often to poll");
  return { kind: "poll", everySeconds: Math.max(pollMin, profile.polling.initialSeconds) };
}
