/**
 * Invitations (digest §2.3): Invite, InviteUser, InviteUser-Response → Invite-Response,
 * CancelInvite → CancelInviteUser, for group, presence, content and IM invitations, each valid
 * for its Validity. An invitation answered 200 is stored for every local invitee and reaches
 * them at once or at their next login; invitees of other domains get it from their servers
 * (`federation.ts`).
 */
import type { ServerContext, ServiceElement } from "../../session/handler.ts";
import { cancelInvite } from "./cancel_invite.ts";
import { deliveredAck, noticeAck, pickUp } from "./delivery.ts";
import { Invitations } from "./element.ts";
import { serveInvitations } from "./federation.ts";
import type { InviteHooks } from "./hooks.ts";
import { invite } from "./invite.ts";
import { inviteUserResponse } from "./invite_user_response.ts";
import { InviteRepo } from "./repo.ts";

export interface InviteElement extends ServiceElement {
  readonly hooks: InviteHooks;
}

export function createInvite(server: ServerContext, hooks: InviteHooks = {}): InviteElement {
  const inv = new Invitations(server, hooks, new InviteRepo(server.store));
  server.sessions.onStart((session) => pickUp(inv, session));
  if (hooks.federation) serveInvitations(inv, hooks.federation);
  return {
    name: "invite",
    modules: [invite(inv), inviteUserResponse(inv), cancelInvite(inv)],
    acks: [deliveredAck(inv), noticeAck(inv)],
    hooks,
    userData: (userId) =>
      Promise.resolve(
        ["inbox", "sent", "notice"].map((kind) => ({ prefix: ["invite", kind, userId] })),
      ),
  };
}
