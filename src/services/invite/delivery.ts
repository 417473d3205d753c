/**
 * Getting invitations, answers and cancellations to their users' sessions. The records in KV are
 * the truth and outbox entries only their copies on the way to one session: a user offline when
 * invited (or answered) gets everything still valid at the next login.
 */
import type { AckModule } from "../../session/handler.ts";
import type { Mutation } from "../../store/kv.ts";
import type { SessionRecord } from "../../store/sessions.ts";
import type { Invitations } from "./element.ts";
import { inviteUserRequest } from "./presentation.ts";
import type { Notice, ReceivedInvitation } from "./storage.ts";

/** AckModule names: the invitee's answer to an InviteUser-Request, and to a notice. */
const DELIVERED_ACK = "invite.delivered";
const NOTICE_ACK = "invite.notice";

type InviteAckData = { inviteId: string; inviter: string } | { notice: string };

const invitationKey = (inviteId: string, inviter: string) => `invite:${inviter}:${inviteId}`;

/** Outbox mutations handing an invitation to the invitee's sessions (all live ones if none given). */
export async function queueInvitation(
  { server }: Invitations,
  record: ReceivedInvitation,
  sessions?: SessionRecord[],
): Promise<Mutation[]> {
  const ackData: InviteAckData = { inviteId: record.inviteId, inviter: record.inviter };
  const mutations: Mutation[] = [];
  for (const session of sessions ?? await server.sessions.repo.listByUser(record.invitee)) {
    mutations.push(
      ...await server.outbox.enqueueMutations(session.id, {
        primitive: inviteUserRequest(record, record.invitee, Date.now()),
        ackHandler: DELIVERED_ACK,
        ackData,
        coalesceKey: invitationKey(record.inviteId, record.inviter),
      }),
    );
  }
  return mutations;
}

/** Mutations keeping a notice for its user and queueing it to the user's sessions. */
export async function queueNotice(
  { server, repo }: Invitations,
  notice: Notice,
  sessions?: SessionRecord[],
): Promise<Mutation[]> {
  const mutations = [repo.putNotice(notice)];
  const ackData: InviteAckData = { notice: notice.seq };
  for (const session of sessions ?? await server.sessions.repo.listByUser(notice.user)) {
    mutations.push(
      ...await server.outbox.enqueueMutations(session.id, {
        primitive: notice.primitive,
        ackHandler: NOTICE_ACK,
        ackData,
        coalesceKey: `invite-notice:${notice.seq}`,
      }),
    );
  }
  return mutations;
}

/** Takes back copies of an invitation still queued to the invitee's sessions. */
export async function withdrawInvitation(
  { server }: Invitations,
  record: ReceivedInvitation,
): Promise<void> {
  for (const session of await server.sessions.repo.listByUser(record.invitee)) {
    for (const entry of await server.outbox.all(session.id)) {
      const data = entry.ackData as InviteAckData | undefined;
      if (
        entry.ackHandler === DELIVERED_ACK && data && "inviteId" in data &&
        data.inviteId === record.inviteId && data.inviter === record.inviter
      ) {
        await server.outbox.ack(session.id, entry.seq);
      }
    }
  }
}

/** A new session: the invitations it has not seen (expired ones are dropped) and the notices. */
export async function pickUp(inv: Invitations, session: SessionRecord): Promise<void> {
  const { repo } = inv;
  const now = Date.now();
  const mutations: Mutation[] = [];
  for (const record of await repo.inbox(session.userId)) {
    if (record.expiresAt <= now) mutations.push(repo.deleteReceived(record));
    else if (!record.delivered) mutations.push(...await queueInvitation(inv, record, [session]));
  }
  for (const notice of await repo.notices(session.userId, now)) {
    mutations.push(...await queueNotice(inv, notice, [session]));
  }
  await inv.server.store.writeAll(mutations);
}

/** The invitee's client took the InviteUser-Request: later logins do not hand it out again. */
export function deliveredAck({ server, repo }: Invitations): AckModule {
  return {
    name: DELIVERED_ACK,
    async onAck(ctx, entry) {
      const data = entry.ackData as InviteAckData;
      if (!("inviteId" in data)) return;
      const record = await repo.receivedFrom(ctx.session!.userId, data.inviteId, data.inviter);
      if (record && !record.delivered) {
        await server.store.write(repo.putReceived({ ...record, delivered: true }));
      }
    },
  };
}

/** The client took an Invite-Response or CancelInviteUser-Request: the notice goes. */
export function noticeAck({ server, repo }: Invitations): AckModule {
  return {
    name: NOTICE_ACK,
    async onAck(ctx, entry) {
      const data = entry.ackData as InviteAckData;
      if (!("notice" in data)) return;
      await server.store.write(repo.deleteNotice(ctx.session!.userId, data.notice));
    },
  };
}
