/**
 * Invitations (digest §2.3): Invite, InviteUser, InviteUser-Response → Invite-Response,
 * CancelInvite → CancelInviteUser, for group, presence, content and IM invitations, each valid
 * for its Validity. An invitation answered 200 is stored for every local invitee and reaches
 * them at once or at their next login.
 */
import type { ServiceElement } from "../mod.ts";
import { cancelInviteRequest } from "./cancel.ts";
import { deliveredAck, noticeAck, pickUp } from "./delivery.ts";
import { inviteRequest } from "./invite.ts";
import { inviteUserResponse } from "./respond.ts";

export const inviteElement: ServiceElement = {
  name: "invite",
  modules: [inviteRequest, inviteUserResponse, cancelInviteRequest],
  acks: [deliveredAck, noticeAck],
  install(server) {
    server.sessions.onStart((session) => pickUp(server, session));
  },
  userData: (_store, userId) =>
    Promise.resolve(
      ["inbox", "sent", "notice"].map((kind) => ({ prefix: ["invite", kind, userId] })),
    ),
};
