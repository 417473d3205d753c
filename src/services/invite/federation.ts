/**
 * Invitations across domains (SSP transactions of digest §9.3), on the SSP transport.
 *
 * Inviter's side: an invitation to users of another domain is queued as one SSP InviteRequest
 * per invitee before the inviter's 200, and remembered (["relay", "invite", "out", inviter,
 * inviteId, invitee], until it expires) so that only a real invitee's InviteResponse becomes an
 * Invite-Response for the inviter, and so that CancelInvite knows whom it reaches.
 *
 * Invitee's side: a peer's InviteRequest is stored and queued exactly as a local invitation (the
 * invite element's own records), and a CancelInviteRequest withdraws it; the invitee's
 * InviteUser-Response to a remote inviter (invite_user_response.ts) goes back as an SSP
 * InviteResponse.
 */
import type { ElementObject } from "../../codec/csp/message.ts";
import {
  cancelInviteRequest as sspCancelInvite,
  inviteRequest as sspInvite,
  inviteResponse as sspInviteResponse,
  readCancelInviteRequest,
  readInviteRequest,
  readInviteResponse,
  type RelayedInvitation,
  status,
} from "../../codec/ssp/mod.ts";
import type { XmlElement } from "../../codec/xml/tree.ts";
import type { SspTransport } from "../../federation/relay.ts";
import { describe } from "../../session/status.ts";
import { del, type Mutation } from "../../store/kv.ts";
import { ATTRIBUTE_NAME, parseUserId, type UserAddress } from "../shared/ids.ts";
import { type RecipientOutcome, sspDetails, summarise } from "../shared/outcomes.ts";
import { queueInvitation, queueNotice, withdrawInvitation } from "./delivery.ts";
import type { Invitations } from "./element.ts";
import { INVITE_TARGETS, MAX_VALIDITY_S, NOTICE_TTL_MS } from "./limits.ts";
import { type Answer, cancelInviteUserRequest, inviteResponse } from "./presentation.ts";
import type { Invitation, InviteType, ReceivedInvitation } from "./storage.ts";

const outKey = (inviter: string, inviteId: string, invitee: string) => [
  "relay",
  "invite",
  "out",
  inviter,
  inviteId,
  invitee,
];

const TYPES: readonly string[] = ["GR", "IM", "PR", "SC"];

/** Serves the peers' invitations, answers and cancellations. */
export function serveInvitations(inv: Invitations, transport: SspTransport): void {
  transport.handle("InviteRequest", (peer, p) => invited(inv, peer, p));
  transport.handle("CancelInviteRequest", (peer, p) => cancelled(inv, peer, p));
  transport.handle("InviteResponse", (peer, p) => answered(inv, peer, p));
}

// ---- Inviter's side ----------------------------------------------------------------------------

/**
 * Sends an invitation (`cancel`: its cancellation, whose note is `invitation.note`) to users of
 * other domains, queued before this resolves; without federation each of them gets 516.
 */
export async function relayInvitation(
  inv: Invitations,
  operation: "invite" | "cancel",
  invitation: Invitation,
  recipients: readonly UserAddress[],
): Promise<RecipientOutcome[]> {
  if (recipients.length === 0) return [];
  const transport = inv.hooks.federation;
  if (!transport) {
    return recipients.map((r) =>
      refused(r, 516, `Domain ${r.domain} is not served by this server`)
    );
  }
  const { server } = inv;
  const now = Date.now();
  const outcomes: RecipientOutcome[] = [];
  const mutations: Mutation[] = [];
  const peers = new Set<string>();
  const job = (primitive: XmlElement) => ({
    kind: "request" as const,
    primitive,
    giveUpAt: Math.min(invitation.expiresAt, transport.giveUpAt(now)),
  });
  for (const r of recipients) {
    if (!transport.allowed(r.domain)) {
      outcomes.push(refused(r, 516, `Domain ${r.domain} is not federated with`));
      continue;
    }
    const key = outKey(invitation.inviter, invitation.inviteId, r.id);
    if (operation === "invite") {
      mutations.push(
        {
          type: "set",
          key,
          value: invitation,
          expireIn: Math.max(1000, invitation.expiresAt - now),
        },
        transport.enqueue(
          r.domain,
          job(sspInvite(server.config.domain, {
            ...relayedFields(invitation, now),
            invitees: [r.id],
          })),
        ),
      );
    } else {
      if (!await server.store.get(key)) {
        outcomes.push(refused(r, 423, "Not invited"));
        continue;
      }
      mutations.push(
        del(key),
        transport.enqueue(
          r.domain,
          job(sspCancelInvite(server.config.domain, {
            inviteId: invitation.inviteId,
            inviter: invitation.inviter,
            invitees: [r.id],
            note: invitation.note,
          })),
        ),
      );
    }
    outcomes.push({ kind: "UserID", id: r.id, code: 200 });
    peers.add(r.domain);
  }
  await server.store.writeAll(mutations);
  for (const peer of peers) transport.send(peer);
  return outcomes;
}

/** A remote invitee answered: an Invite-Response for the inviter, if it was invited here. */
async function answered(inv: Invitations, peer: string, p: XmlElement): Promise<XmlElement> {
  const a = readInviteResponse(p);
  if (!a) return status(400, "Malformed InviteResponse");
  const { server, repo } = inv;
  const domain = server.config.domain;
  const invitee = parseUserId(a.invitee, peer);
  const inviter = parseUserId(a.inviter, domain);
  if (!invitee || invitee.domain !== peer || inviter?.domain !== domain) {
    return status(402, "The answer is not from the requesting domain or not for this one");
  }
  const key = outKey(inviter.id, a.inviteId, invitee.id);
  const invitation = await server.store.get<Invitation>(key);
  const now = Date.now();
  if (!invitation || invitation.expiresAt <= now) return status(423, "No such invitation");
  if (a.acceptance && invitation.type === "GR" && invitation.groupId) {
    await inv.hooks.groups?.admitInvitee(invitation.groupId, invitee.id);
  }
  const answer: Answer = {
    acceptance: a.acceptance,
    note: a.note,
    screenName: a.screenName && { SName: a.screenName.name, GroupID: a.screenName.groupId },
  };
  const notice = repo.newNotice(
    inviter.id,
    inviteResponse(invitation, invitee.id, answer),
    Math.max(invitation.expiresAt, now + NOTICE_TTL_MS),
  );
  await server.store.writeAll([del(key), ...await queueNotice(inv, notice)]);
  return status(200, describe(200));
}

// ---- Invitee's side ----------------------------------------------------------------------------

/** A local invitee's answer to an inviter of another domain, queued for the inviter's server. */
export async function answerRemoteInviter(
  { server }: Invitations,
  transport: SspTransport,
  invitation: ReceivedInvitation,
  answer: Answer,
): Promise<void> {
  const inviter = parseUserId(invitation.inviter, server.config.domain)!;
  const screenName = answer.screenName as ElementObject | undefined;
  const primitive = sspInviteResponse(server.config.domain, {
    inviteId: invitation.inviteId,
    inviter: inviter.id,
    invitee: invitation.invitee,
    acceptance: answer.acceptance,
    note: answer.note,
    screenName: screenName &&
      { name: String(screenName.SName), groupId: String(screenName.GroupID) },
  });
  await server.store.write(
    transport.enqueue(inviter.domain, {
      kind: "request",
      primitive,
      giveUpAt: transport.giveUpAt(),
    }),
  );
  transport.send(inviter.domain);
}

/** A peer's invitation: kept and handed to each invitee of ours as a local one would be. */
async function invited(inv: Invitations, peer: string, p: XmlElement): Promise<XmlElement> {
  const i = readInviteRequest(p);
  if (!i || !TYPES.includes(i.type)) return status(400, "Malformed InviteRequest");
  const inviter = parseUserId(i.inviter, peer);
  if (!inviter || inviter.domain !== peer) {
    return status(402, "The inviter is not of the requesting domain");
  }
  const { server, repo } = inv;
  const now = Date.now();
  const validity = Math.min(i.validity || MAX_VALIDITY_S, MAX_VALIDITY_S);
  const invitation: Invitation = {
    inviteId: i.inviteId,
    type: i.type as InviteType,
    inviter: inviter.id,
    createdAt: now,
    expiresAt: now + validity * 1000,
    ...(i.groupId ? { groupId: i.groupId } : {}),
    ...(i.attributes ? { presenceSubList: attributeNames(i.attributes) } : {}),
    ...(i.urls ? { urls: i.urls } : {}),
    ...(i.note !== undefined ? { note: i.note } : {}),
    ...(i.screenName
      ? { screenName: { SName: i.screenName.name, GroupID: i.screenName.groupId } }
      : {}),
  };
  const mutations: Mutation[] = [];
  const outcomes: RecipientOutcome[] = [];
  for (const raw of i.invitees.slice(0, INVITE_TARGETS)) {
    const invitee = localUser(inv, raw);
    if (!invitee || !await server.users.get(invitee)) {
      outcomes.push({ kind: "UserID", id: raw, code: 531, description: "Unknown user" });
      continue;
    }
    // An invitee with too many waiting misses this one, as from a local inviter.
    if (!await repo.hasRoom(invitee, server.config.invitationsPerUser)) continue;
    const record: ReceivedInvitation = { ...invitation, invitee, delivered: false };
    mutations.push(repo.putReceived(record), ...await queueInvitation(inv, record));
    outcomes.push({ kind: "UserID", id: invitee, code: 200 });
  }
  await server.store.writeAll(mutations);
  const summary = summarise(outcomes);
  return status(summary.code, describe(summary.code), sspDetails(summary));
}

/** A peer withdraws its invitation: gone from the inbox, and the invitee told if it saw it. */
async function cancelled(inv: Invitations, peer: string, p: XmlElement): Promise<XmlElement> {
  const c = readCancelInviteRequest(p);
  if (!c) return status(400, "Malformed CancelInviteRequest");
  const inviter = parseUserId(c.inviter, peer);
  if (!inviter || inviter.domain !== peer) {
    return status(402, "The inviter is not of the requesting domain");
  }
  const { repo } = inv;
  const mutations: Mutation[] = [];
  const withdrawn: ReceivedInvitation[] = [];
  for (const raw of c.invitees.slice(0, INVITE_TARGETS)) {
    const invitee = localUser(inv, raw);
    const record = invitee && await repo.receivedFrom(invitee, c.inviteId, inviter.id);
    if (!record) continue;
    withdrawn.push(record);
    mutations.push(repo.deleteReceived(record));
    if (record.delivered) {
      const notice = repo.newNotice(
        record.invitee,
        cancelInviteUserRequest(record, c.note),
        Date.now() + NOTICE_TTL_MS,
      );
      mutations.push(...await queueNotice(inv, notice));
    }
  }
  await inv.server.store.writeAll(mutations);
  for (const record of withdrawn) await withdrawInvitation(inv, record);
  return status(200, describe(200));
}

function localUser({ server }: Invitations, raw: string): string | undefined {
  const domain = server.config.domain;
  const address = parseUserId(raw, domain);
  return address?.domain === domain ? address.id : undefined;
}

/** What an InviteRequest carries of a local invitation, with the validity left. */
function relayedFields(
  invitation: Invitation,
  now: number,
): Omit<RelayedInvitation, "invitees"> {
  const screenName = invitation.screenName;
  return {
    inviteId: invitation.inviteId,
    type: invitation.type,
    inviter: invitation.inviter,
    validity: Math.max(1, Math.ceil((invitation.expiresAt - now) / 1000)),
    groupId: invitation.groupId,
    attributes: invitation.presenceSubList && Object.keys(invitation.presenceSubList),
    urls: invitation.urls,
    note: invitation.note,
    screenName: screenName &&
      { name: String(screenName.SName), groupId: String(screenName.GroupID) },
  };
}

/** Presence attribute names as the invite element keeps them: a PresenceSubList of empty elements. */
function attributeNames(names: string[]): ElementObject {
  const list: ElementObject = {};
  for (const name of names) if (ATTRIBUTE_NAME.test(name)) list[name] = {};
  return list;
}

function refused(r: UserAddress, code: number, description: string): RecipientOutcome {
  return { kind: "UserID", id: r.id, code, description };
}
