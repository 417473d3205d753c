/** Reading the parts of invitation requests, every one checked: network input is hostile. */
import type { ElementObject, ElementValue } from "../../codec/csp/message.ts";
import type { RequestContext } from "../../session/handler.ts";
import { ProtocolError } from "../../session/status.ts";
import { all, nested, obj, str } from "../../session/values.ts";
import { parseUserId } from "../shared/ids.ts";
import { MAX_INVITE_ID_CHARS, MAX_NOTE_CHARS } from "./limits.ts";

type Value = ElementValue | ElementValue[] | undefined;

const INVITE_ID = new RegExp(`^[\\x21-\\x7e]{1,${MAX_INVITE_ID_CHARS}}$`);

export function readInviteId(value: Value): string {
  const id = str(value)?.trim();
  if (!id) throw new ProtocolError(400, "InviteID missing");
  if (!INVITE_ID.test(id)) throw new ProtocolError(423, "Invalid invitation-id");
  return id;
}

/** An optional note (InviteNote, ResponseNote). */
export function readNote(value: Value, name: string): string | undefined {
  if (value === undefined) return undefined;
  const note = str(value);
  if (note === undefined) throw new ProtocolError(400, `${name} must be text`);
  if (note.length > MAX_NOTE_CHARS) throw new ProtocolError(402, `${name} too long`);
  return note;
}

/** An optional ScreenName{SName, GroupID}, kept as given. */
export function readScreenName(value: Value): ElementObject | undefined {
  if (value === undefined) return undefined;
  const screenName = obj(value);
  if (!str(screenName?.SName) || !str(screenName?.GroupID)) {
    throw new ProtocolError(400, "ScreenName needs SName and GroupID");
  }
  return { SName: str(screenName!.SName)!, GroupID: str(screenName!.GroupID)! };
}

/** A Sender element, when given, must name the caller. */
export function checkSender(ctx: RequestContext, sender: Value): void {
  const claimed = str(nested(sender, "User", "UserID"));
  if (claimed === undefined) return;
  if (parseUserId(claimed, ctx.server.config.domain)?.id !== ctx.session!.userId) {
    throw new ProtocolError(402, "Sender is not the session's user");
  }
}

/** Who a Recipient element names. A User without a UserID is a malformed request. */
export function readRecipient(
  value: Value,
): { users: string[]; groups: string[]; lists: string[] } {
  const recipient = obj(value);
  if (!recipient) throw new ProtocolError(400, "Recipient missing");
  const users = all(recipient.User).map((u) => {
    const id = str(obj(u)?.UserID)?.trim();
    if (!id) throw new ProtocolError(400, "Recipient User without UserID");
    return id;
  });
  const groups = all(recipient.Group).map((g) => {
    const group = obj(g);
    const id = str(group?.GroupID) ?? str(obj(group?.ScreenName)?.GroupID);
    if (id === undefined) throw new ProtocolError(400, "Recipient Group without GroupID");
    return id;
  });
  const lists = all(recipient.ContactList).map((l) => str(l) ?? "");
  return { users, groups, lists };
}
