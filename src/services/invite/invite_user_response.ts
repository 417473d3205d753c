/**
 * InviteUser-Response: the invitee accepts or declines, with an optional note. The inviter gets
 * an Invite-Response (kept until one of their sessions acknowledges it), an accepted group
 * invitation admits the invitee to the group, and the invitation is gone. The Recipient names the
 * inviter; it is needed only when two inviters chose the same InviteID.
 */
import type { ElementObject } from "../../codec/csp/message.ts";
import type { PrimitiveModule, RequestContext } from "../../session/handler.ts";
import { ProtocolError, status } from "../../session/status.ts";
import { bool, nested, str } from "../../session/values.ts";
import { parseUserId } from "../shared/ids.ts";
import { checkSender, readInviteId, readNote, readScreenName } from "./compose.ts";
import { queueNotice, withdrawInvitation } from "./delivery.ts";
import type { Invitations } from "./element.ts";
import { answerRemoteInviter } from "./federation.ts";
import { NOTICE_TTL_MS } from "./limits.ts";
import { inviteResponse } from "./presentation.ts";

export function inviteUserResponse(inv: Invitations): PrimitiveModule {
  return {
    name: "InviteUser-Response",
    function: ["FundamentalFeat", "InviteFunc", "INVIT"],
    handle: (ctx, body) => answer(inv, ctx, body),
  };
}

async function answer(inv: Invitations, ctx: RequestContext, body: ElementObject) {
  const inviteId = readInviteId(body.InviteID);
  const acceptance = bool(body.Acceptance);
  if (acceptance === undefined) throw new ProtocolError(400, "Acceptance must be T or F");
  checkSender(ctx, body.Sender);
  const answer = {
    acceptance,
    note: readNote(body.ResponseNote, "ResponseNote"),
    screenName: readScreenName(body.ScreenName),
  };
  const named = str(nested(body, "Recipient", "User", "UserID"));
  const inviter = named === undefined
    ? undefined
    : parseUserId(named, ctx.server.config.domain)?.id;
  if (named !== undefined && inviter === undefined) {
    throw new ProtocolError(402, "Recipient is not a user id");
  }

  const invitee = ctx.session!.userId;
  const { repo } = inv;
  const candidates = (await repo.received(invitee, inviteId))
    .filter((r) => inviter === undefined || r.inviter === inviter);
  if (candidates.length === 0) throw new ProtocolError(423, "No such invitation");
  if (candidates.length > 1) {
    throw new ProtocolError(400, "Several inviters used this InviteID: name one in Recipient");
  }
  const record = candidates[0];
  const now = Date.now();
  if (record.expiresAt <= now) {
    await ctx.server.store.write(repo.deleteReceived(record));
    throw new ProtocolError(423, "The invitation has expired");
  }

  if (acceptance && record.type === "GR" && record.groupId) {
    await inv.hooks.groups?.admitInvitee(record.groupId, invitee);
  }
  const mutations = [repo.deleteReceived(record)];
  const sent = await repo.sent(record.inviter, inviteId, now);
  if (sent) {
    mutations.push(repo.putSent({ ...sent, pending: sent.pending.filter((u) => u !== invitee) }));
  }
  // An inviter of another domain hears the answer from its server (with federation on).
  if (inv.hooks.federation && !record.inviter.endsWith(`@${ctx.server.config.domain}`)) {
    await answerRemoteInviter(inv, inv.hooks.federation, record, answer);
  } else {
    const notice = repo.newNotice(
      record.inviter,
      inviteResponse(record, invitee, answer),
      Math.max(record.expiresAt, now + NOTICE_TTL_MS),
    );
    mutations.push(...await queueNotice(inv, notice));
  }
  await ctx.server.store.writeAll(mutations);
  await withdrawInvitation(inv, record);
  return status(200);
}
