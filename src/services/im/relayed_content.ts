/**
 * The content of a message crossing domains, both ways: a peer's message becomes a draft through
 * the same checks and limits as a local send, and a local draft becomes the SSP description a
 * peer reads. Shared by one-to-one messages and group messages (to and from a group's server).
 */
import type { RelayedContent } from "../../codec/ssp/mod.ts";
import type { Config } from "../../config.ts";
import { sortableId } from "../../util/ids.ts";
import { type Draft, readContent } from "./compose.ts";

/** A peer's message as a draft under a fresh local id; throws ProtocolError for bad content. */
export function relayedDraft(
  m: RelayedContent,
  sender: string,
  deliveryReport: boolean,
  limits: Pick<Config, "maxMessageBytes">,
): { draft: Draft; content: string } {
  const { content, ...described } = readContent(
    {
      ContentType: m.contentType,
      ContentEncoding: m.contentEncoding,
      ...(m.validity !== undefined ? { Validity: m.validity } : {}),
      ...(m.contentName ? { ContentName: m.contentName } : {}),
    },
    m.content,
    limits,
  );
  const draft = { ...described, id: sortableId(), sender, sentAt: m.sentAt, deliveryReport };
  return { draft, content };
}

/** A draft's content as relayed at `now`: its validity is what is left of it, in whole seconds. */
export function relayedContent(draft: Draft, content: string, now: number): RelayedContent {
  return {
    messageId: draft.id,
    contentType: draft.contentType,
    contentEncoding: draft.encoding,
    contentName: draft.contentName,
    sentAt: draft.sentAt,
    validity: draft.expiresAt !== undefined
      ? Math.max(1, Math.ceil((draft.expiresAt - now) / 1000))
      : undefined,
    content,
  };
}
