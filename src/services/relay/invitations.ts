/**
 * Invitations across domains (`server.hooks.invitationRelay`, SSP transactions of digest §9.3).
 *
 * Inviter's side: an invitation to users of another domain is queued as one SSP InviteRequest
 * per invitee before the inviter's 200, and remembered (["relay", "invite", "out", inviter,
 * inviteId, invitee], until it expires) so that only a real invitee's InviteResponse becomes an
 * Invite-Response for the inviter, and so that CancelInvite knows whom it reaches.
 *
 * Invitee's side: a peer's InviteRequest is stored and queued exactly as a local invitation (the
 * invite element's own records), and a CancelInviteRequest withdraws it; the invitee's
 * InviteUser-Response to a remote inviter comes here (invite/respond.ts) and goes back as an
 * SSP InviteResponse.
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
import type { Federation } from "../../federation/federation.ts";
import type { ServerContext } from "../../session/server_context.ts";
import { describe } from "../../session/status.ts";
import { del, type Mutation } from "../../store/kv.ts";
import { parseUserId, type UserAddress } from "../../util/userid.ts";
import {
  commitChunked,
  invitesOf,
  queueInvitation,
  queueNotice,
  withdrawInvitation,
} from "../invite/delivery.ts";
import { MAX_VALIDITY_S, NOTICE_TTL_MS } from "../invite/limits.ts";
import type { RecipientOutcome } from "../invite/outcomes.ts";
import { type Answer, cancelInviteUserRequest, inviteResponse } from "../invite/presentation.ts";
import type { InvitationRelay } from "../invite/relay.ts";
import type { Invitation, InviteType, ReceivedInvitation } from "../invite/repo.ts";
import { ATTRIBUTE_NAME } from "../presence/ids.ts";
import { INVITE_TARGETS } from "./limits.ts";
import type { RelayQueue } from "./queue.ts";

const outKey = (inviter: string, inviteId: string, invitee: string) => [
  "relay",
  "invite",
  "out",
  inviter,
  inviteId,
  invitee,
];

const TYPES: readonly string[] = ["GR", "IM", "PR", "SC"];

export class InvitationRelayService implements InvitationRelay {
  readonly #server: ServerContext;
  readonly #federation: Federation;
  readonly #queue: RelayQueue;

  constructor(server: ServerContext, federation: Federation, queue: RelayQueue) {
    this.#server = server;
    this.#federation = federation;
    this.#queue = queue;
    federation.handle("InviteRequest", (peer, p) => this.#invited(peer, p));
    federation.handle("CancelInviteRequest", (peer, p) => this.#cancelled(peer, p));
    federation.handle("InviteResponse", (peer, p) => this.#answered(peer, p));
  }

  // ---- Inviter's side --------------------------------------------------------------------------

  async relay(
    operation: "invite" | "cancel",
    invitation: Invitation,
    recipients: readonly UserAddress[],
  ): Promise<RecipientOutcome[]> {
    const now = Date.now();
    const outcomes: RecipientOutcome[] = [];
    const mutations: Mutation[] = [];
    const peers = new Set<string>();
    const job = (primitive: XmlElement) => ({
      kind: "request" as const,
      primitive,
      giveUpAt: Math.min(invitation.expiresAt, now + this.#server.config.sspGiveUpS * 1000),
    });
    for (const r of recipients) {
      if (!this.#federation.peers.allowed(r.domain)) {
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
          this.#queue.enqueue(
            r.domain,
            job(sspInvite(this.#server.config.domain, {
              ...relayedFields(invitation, now),
              invitees: [r.id],
            })),
          ),
        );
      } else {
        if (!await this.#server.store.get(key)) {
          outcomes.push(refused(r, 423, "Not invited"));
          continue;
        }
        mutations.push(
          del(key),
          this.#queue.enqueue(
            r.domain,
            job(sspCancelInvite(this.#server.config.domain, {
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
    await commitChunked(this.#server, mutations);
    for (const peer of peers) this.#queue.kick(peer);
    return outcomes;
  }

  /** A remote invitee answered: an Invite-Response for the inviter, if it was invited here. */
  async #answered(peer: string, p: XmlElement): Promise<XmlElement> {
    const a = readInviteResponse(p);
    if (!a) return status(400, "Malformed InviteResponse");
    const domain = this.#server.config.domain;
    const invitee = parseUserId(a.invitee, peer);
    const inviter = parseUserId(a.inviter, domain);
    if (!invitee || invitee.domain !== peer || inviter?.domain !== domain) {
      return status(402, "The answer is not from the requesting domain or not for this one");
    }
    const key = outKey(inviter.id, a.inviteId, invitee.id);
    const invitation = await this.#server.store.get<Invitation>(key);
    const now = Date.now();
    if (!invitation || invitation.expiresAt <= now) return status(423, "No such invitation");
    if (a.acceptance && invitation.type === "GR" && invitation.groupId) {
      await this.#server.hooks.groupDirectory?.admitInvitee(invitation.groupId, invitee.id);
    }
    const answer: Answer = {
      acceptance: a.acceptance,
      note: a.note,
      screenName: a.screenName && { SName: a.screenName.name, GroupID: a.screenName.groupId },
    };
    const repo = invitesOf(this.#server);
    const notice = repo.newNotice(
      inviter.id,
      inviteResponse(invitation, invitee.id, answer),
      Math.max(invitation.expiresAt, now + NOTICE_TTL_MS),
    );
    await commitChunked(this.#server, [del(key), ...await queueNotice(this.#server, notice)]);
    return status(200, describe(200));
  }

  // ---- Invitee's side --------------------------------------------------------------------------

  async answer(invitation: ReceivedInvitation, answer: Answer): Promise<void> {
    const inviter = parseUserId(invitation.inviter, this.#server.config.domain)!;
    const screenName = answer.screenName as ElementObject | undefined;
    const primitive = sspInviteResponse(this.#server.config.domain, {
      inviteId: invitation.inviteId,
      inviter: inviter.id,
      invitee: invitation.invitee,
      acceptance: answer.acceptance,
      note: answer.note,
      screenName: screenName &&
        { name: String(screenName.SName), groupId: String(screenName.GroupID) },
    });
    const giveUpAt = Date.now() + this.#server.config.sspGiveUpS * 1000;
    await this.#server.store.write(
      this.#queue.enqueue(inviter.domain, { kind: "request", primitive, giveUpAt }),
    );
    this.#queue.kick(inviter.domain);
  }

  /** A peer's invitation: kept and handed to each invitee of ours as a local one would be. */
  async #invited(peer: string, p: XmlElement): Promise<XmlElement> {
    const i = readInviteRequest(p);
    if (!i || !TYPES.includes(i.type)) return status(400, "Malformed InviteRequest");
    const inviter = parseUserId(i.inviter, peer);
    if (!inviter || inviter.domain !== peer) {
      return status(402, "The inviter is not of the requesting domain");
    }
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
    const repo = invitesOf(this.#server);
    const mutations: Mutation[] = [];
    const unknown: string[] = [];
    let invited = 0;
    for (const raw of i.invitees.slice(0, INVITE_TARGETS)) {
      const invitee = this.#localUser(raw);
      if (!invitee || !await this.#server.users.get(invitee)) {
        unknown.push(raw);
        continue;
      }
      // An invitee with too many waiting misses this one, as from a local inviter.
      if (!await repo.hasRoom(invitee, this.#server.config.invitationsPerUser)) continue;
      const record: ReceivedInvitation = { ...invitation, invitee, delivered: false };
      mutations.push(repo.putReceived(record), ...await queueInvitation(this.#server, record));
      invited++;
    }
    await commitChunked(this.#server, mutations);
    return answerFor(invited > 0, unknown);
  }

  /** A peer withdraws its invitation: gone from the inbox, and the invitee told if it saw it. */
  async #cancelled(peer: string, p: XmlElement): Promise<XmlElement> {
    const c = readCancelInviteRequest(p);
    if (!c) return status(400, "Malformed CancelInviteRequest");
    const inviter = parseUserId(c.inviter, peer);
    if (!inviter || inviter.domain !== peer) {
      return status(402, "The inviter is not of the requesting domain");
    }
    const repo = invitesOf(this.#server);
    const mutations: Mutation[] = [];
    const withdrawn: ReceivedInvitation[] = [];
    for (const raw of c.invitees.slice(0, INVITE_TARGETS)) {
      const invitee = this.#localUser(raw);
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
        mutations.push(...await queueNotice(this.#server, notice));
      }
    }
    await commitChunked(this.#server, mutations);
    for (const record of withdrawn) await withdrawInvitation(this.#server, record);
    return status(200, describe(200));
  }

  #localUser(raw: string): string | undefined {
    const domain = this.#server.config.domain;
    const address = parseUserId(raw, domain);
    return address?.domain === domain ? address.id : undefined;
  }
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

/** 200; 201 when some invitees are unknown; 531 when all are. */
function answerFor(someInvited: boolean, unknown: string[]): XmlElement {
  if (unknown.length === 0) return status(200, describe(200));
  const details = [{ code: 531, description: "Unknown user", userIds: unknown }];
  return status(someInvited ? 201 : 531, describe(someInvited ? 201 : 531), details);
}
