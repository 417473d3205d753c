/**
 * Delivers a composed message to everyone it names, shared by SendMessage and ForwardMessage:
 * local users get it in their mailbox (and queued to their sessions) in one commit before the
 * caller answers; other domains and groups go to their seams; every recipient gets an outcome.
 */
import type { ElementObject } from "../../codec/csp/message.ts";
import type { ServerContext } from "../../session/server_context.ts";
import { describe, ProtocolError } from "../../session/status.ts";
import type { Mutation } from "../../store/kv.ts";
import { parseUserId, type UserAddress } from "../../util/userid.ts";
import { isBlocked } from "./blocking.ts";
import type { Addressed, Draft } from "./compose.ts";
import { liveMessages, mailboxOf, queueMessageMutations, writeGroups } from "./delivery.ts";
import { MAX_RECIPIENTS } from "./limits.ts";
import { type RecipientOutcome, relayToRemoteDomains, sendToGroups } from "./seams.ts";

/**
 * `senders` are the users a recipient must not have blocked: the sender, and for a forward the
 * forwarder too. Outcomes keep the order recipients were named in, each named once.
 */
export async function distribute(
  server: ServerContext,
  draft: Draft,
  content: string,
  addressed: Addressed,
  senders: string[],
): Promise<RecipientOutcome[]> {
  const users = [...new Set(addressed.users)];
  const groups = [...new Set(addressed.groups)];
  const contactLists = [...new Set(addressed.contactLists)];
  const count = users.length + groups.length + contactLists.length;
  if (count === 0) throw new ProtocolError(400, "Recipient names nobody");
  if (count > MAX_RECIPIENTS) {
    throw new ProtocolError(402, `At most ${MAX_RECIPIENTS} recipients per message`);
  }

  const outcomes: RecipientOutcome[] = [];
  const accepted = new Set<string>();
  const remote: UserAddress[] = [];
  const { mailboxSize } = server.config;
  for (const raw of users) {
    const address = parseUserId(raw, server.config.domain);
    if (address && address.domain !== server.config.domain) {
      remote.push(address);
      continue;
    }
    const id = address?.id ?? raw;
    if (accepted.has(id) || outcomes.some((o) => o.id === id)) continue;
    const code = !address || !await server.users.get(id)
      ? 531
      : await anyBlocked(server, id, senders)
      ? 532
      : (await liveMessages(server, id, mailboxSize)).length >= mailboxSize
      ? 507
      : 200;
    if (code === 200) accepted.add(id);
    outcomes.push({ kind: "UserID", id, code, description: OUTCOME_TEXT[code] });
  }
  outcomes.push(...await relayToRemoteDomains(server, draft, content, remote));
  outcomes.push(...await sendToGroups(server, draft, content, groups));
  outcomes.push(...contactLists.map((id) => ({
    kind: "ContactList" as const,
    id,
    code: 405,
    description: "Contact-list recipients are not offered yet",
  })));

  const mailbox = mailboxOf(server);
  const groupsToWrite: Mutation[][] = [];
  for (const recipient of accepted) {
    const message = { ...draft, recipient };
    const sessions = await server.sessions.repo.listByUser(recipient);
    groupsToWrite.push([
      ...mailbox.storeMutations(message, content),
      ...await queueMessageMutations(server, sessions, message, content),
    ]);
  }
  await writeGroups(server.store, groupsToWrite);
  return outcomes;
}

async function anyBlocked(server: ServerContext, owner: string, senders: string[]) {
  for (const sender of senders) if (await isBlocked(server, owner, sender)) return true;
  return false;
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
