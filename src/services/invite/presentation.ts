/**
 * How invitations look on the wire when the server sends them: InviteUser-Request to the
 * invitee, Invite-Response to the inviter, CancelInviteUser-Request to the invitee (digest §2.3,
 * spec examples wv-028/032/036, Baraza fixtures 060/062).
 */
import type { ElementObject, Primitive } from "../../codec/csp/message.ts";
import type { Invitation } from "./storage.ts";

const userElement = (userId: string): ElementObject => ({ User: { UserID: userId } });
/** Recipient's User repeats (schema `User* Group* ContactList*`). */
const recipientElement = (userId: string): ElementObject => ({ User: [{ UserID: userId }] });

/** The parts every server-originated invitation primitive repeats from the invitation. */
function carried(invitation: Invitation): ElementObject {
  const body: ElementObject = {};
  if (invitation.groupId !== undefined) body.GroupID = invitation.groupId;
  if (invitation.presenceSubList !== undefined) body.PresenceSubList = invitation.presenceSubList;
  if (invitation.urls !== undefined) body.URLList = { URL: invitation.urls };
  return body;
}

export function inviteUserRequest(invitation: Invitation, invitee: string, now: number): Primitive {
  const body: ElementObject = {
    InviteID: invitation.inviteId,
    InviteType: invitation.type,
    Sender: userElement(invitation.inviter),
    Recipient: recipientElement(invitee),
    ...carried(invitation),
  };
  if (invitation.note !== undefined) body.InviteNote = invitation.note;
  if (invitation.screenName !== undefined) body.ScreenName = invitation.screenName;
  // What is left of the validity when the invitee sees it (it may have been offline).
  body.Validity = Math.max(1, Math.ceil((invitation.expiresAt - now) / 1000));
  return { name: "InviteUser-Request", body };
}

export interface Answer {
  acceptance: boolean;
  note?: string;
  screenName?: ElementObject;
}

export function inviteResponse(invitation: Invitation, invitee: string, answer: Answer): Primitive {
  const body: ElementObject = {
    InviteID: invitation.inviteId,
    Acceptance: answer.acceptance,
    Sender: userElement(invitee),
    Recipient: recipientElement(invitation.inviter),
  };
  if (answer.note !== undefined) body.ResponseNote = answer.note;
  if (answer.screenName !== undefined) body.ScreenName = answer.screenName;
  return { name: "Invite-Response", body };
}

export function cancelInviteUserRequest(invitation: Invitation, note?: string): Primitive {
  const body: ElementObject = {
    InviteID: invitation.inviteId,
    Sender: userElement(invitation.inviter),
    ...carried(invitation),
  };
  if (note !== undefined) body.InviteNote = note;
  if (invitation.screenName !== undefined) body.ScreenName = invitation.screenName;
  return { name: "CancelInviteUser-Request", body };
}
