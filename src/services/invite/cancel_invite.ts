/**
 * CancelInvite-Request: the inviter withdraws an invitation from the recipients named (all who
 * have not answered when Recipient is absent). An invitee who already saw it gets a
 * CancelInviteUser-Request (kept until acknowledged); one who had not is spared the pair.
 * A recipient who already answered, or was never invited, is reported 423.
 */
import type { ElementObject } from "../../codec/csp/message.ts";
import type { PrimitiveModule, RequestContext } from "../../session/handler.ts";
import { ProtocolError } from "../../session/status.ts";
import { parseUserId, type UserAddress } from "../shared/ids.ts";
import { checkSender, readInviteId, readNote, readRecipient } from "./compose.ts";
import { queueNotice, withdrawInvitation } from "./delivery.ts";
import type { Invitations } from "./element.ts";
import { relayInvitation } from "./federation.ts";
import { NOTICE_TTL_MS } from "./limits.ts";
import { type RecipientOutcome, resultOf, summarise } from "../shared/outcomes.ts";
import { cancelInviteUserRequest } from "./presentation.ts";
import type { ReceivedInvitation } from "./storage.ts";

export function cancelInvite(inv: Invitations): PrimitiveModule {
  return {
    name: "CancelInvite-Request",
    function: ["FundamentalFeat", "InviteFunc", "CAINV"],
    handle: (ctx, body) => cancel(inv, ctx, body),
  };
}

async function cancel(inv: Invitations, ctx: RequestContext, body: ElementObject) {
  const inviteId = readInviteId(body.InviteID);
  checkSender(ctx, body.Sender);
  const note = readNote(body.InviteNote, "InviteNote");
  const { repo } = inv;
  const sent = await repo.sent(ctx.session!.userId, inviteId);
  if (!sent) throw new ProtocolError(423, "No pending invitation with this InviteID");

  const outcomes: RecipientOutcome[] = [];
  const targets: string[] = [];
  const remote: UserAddress[] = [];
  if (body.Recipient === undefined) targets.push(...sent.pending);
  else {
    for (const raw of new Set(readRecipient(body.Recipient).users)) {
      const address = parseUserId(raw, ctx.server.config.domain);
      if (address && address.domain !== ctx.server.config.domain) remote.push(address);
      else if (address && sent.pending.includes(address.id)) targets.push(address.id);
      else outcomes.push({ kind: "UserID", id: raw, code: 423, description: "Not invited" });
    }
  }

  const now = Date.now();
  const mutations = [];
  const cancelled: ReceivedInvitation[] = [];
  for (const invitee of new Set(targets)) {
    const record = await repo.receivedFrom(invitee, inviteId, sent.inviter);
    outcomes.push({ kind: "UserID", id: invitee, code: 200 });
    if (!record) continue;
    cancelled.push(record);
    mutations.push(repo.deleteReceived(record));
    if (record.delivered) {
      const notice = repo.newNotice(
        invitee,
        cancelInviteUserRequest(record, note),
        now + NOTICE_TTL_MS,
      );
      mutations.push(...await queueNotice(inv, notice));
    }
  }
  mutations.push(
    repo.putSent({ ...sent, pending: sent.pending.filter((u) => !targets.includes(u)) }),
  );
  await ctx.server.store.writeAll(mutations);
  for (const record of cancelled) await withdrawInvitation(inv, record);
  // The cancellation's own note (InviteNote here) travels as its CancelNote.
  outcomes.push(...await relayInvitation(inv, "cancel", { ...sent, note }, remote));
  return { name: "Status", body: { Result: resultOf(summarise(outcomes)) } };
}
