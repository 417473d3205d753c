/**
 * An SSP transport standing in for federation in the conversation suites: it federates with
 * every domain and keeps what the elements queue for other domains, instead of sending it.
 */
import type { XmlElement } from "../../src/codec/xml/tree.ts";
import { loadCore } from "../../src/core/mod.ts";
import type { RelayJob, SspTransport } from "../../src/federation/relay.ts";
import type { Mutation } from "../../src/store/kv.ts";

export interface Queued {
  domain: string;
  job: RelayJob;
}

export function fakeTransport(domain: string): { transport: SspTransport; queued: Queued[] } {
  const queued: Queued[] = [];
  const transport: SspTransport = {
    domain,
    core: loadCore("ts"),
    allowed: () => true,
    exists: () => Promise.resolve(true),
    request: (peer: string, primitive: XmlElement) =>
      Promise.reject(new Error(`no ${primitive.name} to ${peer} in this test`)),
    handle() {},
    enqueue(peer, job): Mutation {
      queued.push({ domain: peer, job });
      // Nothing of it is stored: a check of a key no one writes holds.
      return { type: "check", key: ["test", "queued", queued.length], versionstamp: null };
    },
    send() {},
    onSettled() {},
    giveUpAt: (now = Date.now()) => now + 3600_000,
  };
  return { transport, queued };
}
