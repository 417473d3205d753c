/**
 * Delivers a composed message to everyone it names, shared by SendMessage and ForwardMessage:
 * local users get it in their mailbox (whence their sessions are handed it) in one commit before the
 * caller answers; other domains and groups go to their seams; every recipient gets an outcome.
 */
import type { ElementObject } from "../../codec/csp/message.ts";
import type { ServerContext } from "../../session/server_context.ts";
import { describe, ProtocolError } from "../../session/status.ts";
import { parseUserId, type UserAddress } from "../../util/userid.ts";
import { isBlocked } from "./blocking.ts";
import type { Addressed, Draft } from "./compose.ts";
import { mailboxOf, takesFrom, writeGroups } from "./delivery.ts";
import { MAX_RECIPIENTS, RECENT_MS } from "./limits.ts";
import {
  type RecipientOutcome,
  relayToRemoteDomains,
  sendToGroups,
  shareMutations,
} from "./seams.ts";

/**
 * `senders` are the users a recipient must not have blocked: the sender, and for a forward the
 * forwarder too. `sharer` is who sends it now (the forwarder, for a forward): stored content of
 * theirs the message names becomes readable by its recipients, in the commit that delivers it.
 * Outcomes keep the order recipients were named in, each named once.
 */
export async function distribute(
  server: ServerContext,
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

  const mailbox = mailboxOf(server);
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
      acceptance(server, id, senders, draft),
      shareMutations(server, sharer, content, { users: [id] }),
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
  outcomes.push(...await relayToRemoteDomains(server, draft, content, remote));
  outcomes.push(...await sendToGroups(server, draft, content, groups, sharer));
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
async function acceptance(
  server: ServerContext,
  user: string,
  senders: string[],
  draft: Draft,
) {
  const [known, blocked, room] = await Promise.all([
    server.users.exists(user, RECENT_MS),
    Promise.all(senders.map((sender) => isBlocked(server, user, sender))),
    takesFrom(server, user, draft.sender, draft.size),
  ]);
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
 * The Result of a send: 200 when every recipient took it; 201 with a DetailedResult per failure
 * code when some did; when none did, the shared code if all failed alike, else 900 (multiple
 * errors), with the DetailedResults either way.
 */
export function sendResult(outcomes: RecipientOutcome[]): { result: ElementObject; ok: boolean } {
  const failed = outcomes.filter((o) => o.code !== 200);
  if (failed.length === 0) return { result: { Code: 200, Description: describe(200) }, ok: true };
  const details: ElementObject[] = [];
  for (const code of [...new Set(failed.map((o) => o.code))]) {
    const same = failed.filter((o) => o.code === code);
    const detail: ElementObject = {
      Code: code,
      Description: same[0].description ?? describe(code),
    };
    for (const o of same) ((detail[o.kind] ??= []) as string[]).push(o.id);
    details.push(detail);
  }
  const someAccepted = failed.length < outcomes.length;
  const code = someAccepted ? 201 : details.length === 1 ? Number(details[0].Code) : 900;
  const description = code === 900
    ? "Multiple errors"
    : code === 201
    ? describe(201)
    : String(details[0].Description);
  return {
    result: { Code: code, Description: description, DetailedResult: details },
    ok: someAccepted,
  };
}
