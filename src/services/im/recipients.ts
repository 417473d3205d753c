/**
 * Delivers a composed message to everyone it names, shared by SendMessage, ForwardMessage and a
 * peer's SendMessageRequest: local users get it in their mailbox (whence their sessions are
 * handed it) in one commit before the caller answers; users of other domains get it through their
 * servers (`federation.ts`), groups through the group element (`group_delivery.ts`); every
 * recipient gets an outcome.
 */
import type { ElementObject } from "../../codec/csp/message.ts";
import { ProtocolError } from "../../session/status.ts";
import { type RecipientOutcome, resultOf, summarise } from "../shared/outcomes.ts";
import { parseUserId, type UserAddress } from "../shared/ids.ts";
import { blocks } from "../shared/privacy.ts";
import type { Addressed, Draft } from "./compose.ts";
import { takesFrom, writeGroups } from "./delivery.ts";
import type { Im } from "./element.ts";
import { relayMessage } from "./federation_outbound.ts";
import { sendToGroups } from "./group_delivery.ts";
import { MAX_RECIPIENTS, RECENT_MS } from "./limits.ts";

/**
 * `senders` are the users a recipient must not have blocked: the sender, and for a forward the
 * forwarder too. `sharer` is who sends it now (the forwarder, for a forward): stored content of
 * theirs the message names becomes readable by its recipients, in the commit that delivers it.
 * Outcomes keep the order recipients were named in, each named once.
 */
export async function distribute(
  im: Im,
  draft: Draft,
  content: string,
  addressed: Addressed,
  senders: string[],
  sharer: string = draft.sender,
): Promise<RecipientOutcome[]> {
  const users = [...new Set(addressed.users)];
  const groups = [...new Set(addressed.groups)];
  const contactLists = [...new Set(addressed.contactLists)];
  const count = users.length + groups.length + contactLists.length;
  if (count === 0) throw new ProtocolError(400, "Recipient names nobody");
  if (count > MAX_RECIPIENTS) {
    throw new ProtocolError(402, `At most ${MAX_RECIPIENTS} recipients per message`);
  }

  const { server, mailbox } = im;
  const remote: UserAddress[] = [];
  const local = new Map<string, boolean>(); // id -> whether it is a well-formed address
  for (const raw of users) {
    const address = parseUserId(raw, server.config.domain);
    if (address && address.domain !== server.config.domain) remote.push(address);
    else local.set(address?.id ?? raw, address !== undefined);
  }
  // Each recipient's checks need independent reads: all in flight together; what a refused
  // recipient would have been given is dropped. Their sessions are handed it from the mailbox.
  const prepared = await Promise.all([...local].map(async ([id, wellFormed]) => {
    if (!wellFormed) return { code: 531, mutations: [] };
    const [code, shared] = await Promise.all([
      acceptance(im, id, senders, draft),
      im.shareMutations(sharer, content, { users: [id] }),
    ]);
    return {
      code,
      mutations: [...mailbox.storeMutations({ ...draft, recipient: id, content }), ...shared],
    };
  }));
  const outcomes: RecipientOutcome[] = [...local.keys()].map((id, i) => ({
    kind: "UserID",
    id,
    code: prepared[i].code,
    description: OUTCOME_TEXT[prepared[i].code],
  }));
  outcomes.push(...await relayMessage(im, draft, content, remote));
  outcomes.push(...await sendToGroups(im, draft, content, groups, sharer));
  outcomes.push(...contactLists.map((id) => ({
    kind: "ContactList" as const,
    id,
    code: 405,
    description: "Contact-list recipients are not offered yet",
  })));

  const accepted = prepared.filter((p) => p.code === 200);
  await writeGroups(server.store, accepted.map((p) => p.mutations));
  if (accepted.length > 0) server.metrics.message("accepted", accepted.length);
  return outcomes;
}

/** Whether a local user takes the message: 200, or the code saying why not. The checks' reads
 * are independent, so they run together. */
async function acceptance(im: Im, user: string, senders: string[], draft: Draft) {
  const [known, blockList, room] = await Promise.all([
    im.server.users.exists(user, RECENT_MS),
    im.blocks.get(user),
    takesFrom(im, user, draft.sender, draft.size),
  ]);
  const blocked = senders.map((sender) => blocks(blockList, sender));
  if (!known) return 531;
  if (blocked.includes(true)) return 532;
  if (!room) return 507;
  return 200;
}

const OUTCOME_TEXT: Record<number, string | undefined> = {
  531: "Unknown user",
  // Says no more than that: a blocked sender learns nothing about the recipient's state.
  532: "Recipient blocked the sender",
  507: "Recipient's message queue is full",
};

/**
 * The Result of a send (shared/outcomes.ts) and whether anyone took the message (then the answer
 * carries its MessageID).
 */
export function sendResult(outcomes: RecipientOutcome[]): { result: ElementObject; ok: boolean } {
  const summary = summarise(outcomes);
  return { result: resultOf(summary), ok: summary.code === 200 || summary.code === 201 };
}
