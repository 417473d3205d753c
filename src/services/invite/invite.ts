/**
 * Invite-Request: the inviter asks users to join a group (GR), to watch their presence (PR), to
 * look at shared content (SC) or to talk (IM). Each local invitee gets the invitation stored
 * and queued as an InviteUser-Request, all committed before the answer; content named in the
 * URLList becomes readable by the invitees. Users of other domains get it through their servers
 * (`federation.ts`; 516 without federation). Inviting through group screen names or contact lists is not offered (405 per
 * recipient): the group and presence elements would have to resolve them.
 */
import type { ElementObject } from "../../codec/csp/message.ts";
import type { PrimitiveModule, RequestContext } from "../../session/handler.ts";
import { ProtocolError } from "../../session/status.ts";
import { all, int, obj, str } from "../../session/values.ts";
import { parseUserId, type UserAddress } from "../shared/ids.ts";
import { checkSender, readInviteId, readNote, readRecipient, readScreenName } from "./compose.ts";
import { queueInvitation } from "./delivery.ts";
import type { Invitations } from "./element.ts";
import { relayInvitation } from "./federation.ts";
import {
  DEFAULT_VALIDITY_S,
  MAX_RECIPIENTS,
  MAX_URL_CHARS,
  MAX_URLS,
  MAX_VALIDITY_S,
} from "./limits.ts";
import { type RecipientOutcome, resultOf, summarise } from "../shared/outcomes.ts";
import type { Invitation, InviteType, ReceivedInvitation } from "./storage.ts";

const TYPES: readonly string[] = ["GR", "IM", "PR", "SC"];
/** 1.3 types (extend conversation or group, application) this server does not offer. */
const UNOFFERED_TYPES: readonly string[] = ["EC", "EG", "AP"];

function readType(value: unknown): InviteType {
  const type = typeof value === "string" ? value.trim() : undefined;
  if (!type) throw new ProtocolError(400, "InviteType missing");
  if (UNOFFERED_TYPES.includes(type)) {
    throw new ProtocolError(405, `InviteType ${type} not offered`);
  }
  if (!TYPES.includes(type)) throw new ProtocolError(402, `Unknown InviteType ${type}`);
  return type as InviteType;
}

function readValidity(body: ElementObject): number {
  if (body.Validity === undefined) return DEFAULT_VALIDITY_S;
  const validity = int(body.Validity);
  if (validity === undefined || validity < 1 || validity > MAX_VALIDITY_S) {
    throw new ProtocolError(402, `Validity must be 1..${MAX_VALIDITY_S} seconds`);
  }
  return validity;
}

function readUrls(body: ElementObject): string[] | undefined {
  if (body.URLList === undefined) return undefined;
  const urls = all(obj(body.URLList)?.URL).map((u) => str(u)?.trim() ?? "");
  if (urls.length > MAX_URLS) throw new ProtocolError(402, `At most ${MAX_URLS} URLs`);
  if (urls.some((u) => !u || u.length > MAX_URL_CHARS)) throw new ProtocolError(402, "Bad URL");
  return urls;
}

/** The invitation as the request describes it, checked for its type. */
async function readInvitation(
  inv: Invitations,
  ctx: RequestContext,
  body: ElementObject,
): Promise<Invitation> {
  const type = readType(body.InviteType);
  const now = Date.now();
  const invitation: Invitation = {
    inviteId: readInviteId(body.InviteID),
    type,
    inviter: ctx.session!.userId,
    note: readNote(body.InviteNote, "InviteNote"),
    screenName: readScreenName(body.ScreenName),
    urls: readUrls(body),
    createdAt: now,
    expiresAt: now + readValidity(body) * 1000,
  };
  const groupId = str(body.GroupID)?.trim();
  if (groupId) invitation.groupId = groupId;
  const presence = obj(body.PresenceSubList);
  if (presence) {
    // Kept as attribute names only: the namespace attribute is not repeated (Baraza 060).
    const { "@attrs": _, ...names } = presence;
    invitation.presenceSubList = names;
  }
  if (type === "GR") {
    if (!invitation.groupId) throw new ProtocolError(400, "A group invitation needs GroupID");
    const directory = inv.hooks.groups;
    const refused = directory
      ? await directory.checkInviter(invitation.groupId, invitation.inviter)
      : 800;
    if (refused !== undefined) throw new ProtocolError(refused);
  }
  if (type === "SC" && !invitation.urls?.length) {
    throw new ProtocolError(400, "A content invitation needs a URLList");
  }
  return invitation;
}

export function invite(inv: Invitations): PrimitiveModule {
  return {
    name: "Invite-Request",
    function: ["FundamentalFeat", "InviteFunc", "INVIT"],
    handle: (ctx, body) => handleInvite(inv, ctx, body),
  };
}

async function handleInvite(inv: Invitations, ctx: RequestContext, body: ElementObject) {
  checkSender(ctx, body.Sender);
  const recipient = readRecipient(body.Recipient);
  const count = recipient.users.length + recipient.groups.length + recipient.lists.length;
  if (count === 0) throw new ProtocolError(400, "Recipient names nobody");
  if (count > MAX_RECIPIENTS) {
    throw new ProtocolError(402, `At most ${MAX_RECIPIENTS} recipients`);
  }
  const invitation = await readInvitation(inv, ctx, body);
  const { repo } = inv;
  if (await repo.sent(invitation.inviter, invitation.inviteId)) {
    throw new ProtocolError(423, "InviteID already in use by a pending invitation");
  }

  const outcomes: RecipientOutcome[] = [];
  const fail = (kind: RecipientOutcome["kind"], id: string, code: number, description?: string) =>
    outcomes.push({ kind, id, code, description });
  for (const group of recipient.groups) {
    fail("GroupID", group, 405, "Invite the members by UserID");
  }
  for (const list of recipient.lists) {
    fail("ContactList", list, 405, "Invite the contacts by UserID");
  }

  const local: string[] = [];
  const remote: UserAddress[] = [];
  for (const raw of new Set(recipient.users)) {
    const address = parseUserId(raw, ctx.server.config.domain);
    if (!address) fail("UserID", raw, 531, "Unknown user");
    else if (address.id === invitation.inviter) fail("UserID", raw, 402, "Cannot invite oneself");
    else if (address.domain !== ctx.server.config.domain) remote.push(address);
    else if (local.includes(address.id)) continue;
    else if (!await ctx.server.users.get(address.id)) fail("UserID", raw, 531, "Unknown user");
    else if (!await repo.hasRoom(address.id, ctx.server.config.invitationsPerUser)) {
      fail("UserID", raw, 507, "Too many invitations waiting for this user");
    } else local.push(address.id);
  }

  const mutations = [];
  for (const invitee of local) {
    const record: ReceivedInvitation = { ...invitation, invitee, delivered: false };
    mutations.push(repo.putReceived(record), ...await queueInvitation(inv, record));
    outcomes.push({ kind: "UserID", id: invitee, code: 200 });
  }
  if (local.length > 0) {
    mutations.push(repo.putSent({ ...invitation, pending: local }));
    if (invitation.urls) {
      mutations.push(
        ...await inv.hooks.content?.shareMutations(
          invitation.inviter,
          invitation.urls,
          { users: local },
        ) ?? [],
      );
    }
  }
  await ctx.server.store.writeAll(mutations);
  outcomes.push(...await relayInvitation(inv, "invite", invitation, remote));
  return { name: "Status", body: { Result: resultOf(summarise(outcomes)) } };
}
