/**
 * Groups across domains, the group's side: a peer's group requests on behalf of its users are
 * served by the group element's own primitives, run for that remote user (so roles, bans,
 * screen names and notices apply exactly as for a local user); a member's message to the group
 * goes through IM's `sendToGroups`; and what the group sends its joined users of other domains
 * (message copies, GroupChangeNotices, removals) is queued per domain, one transaction naming
 * every receiver of that domain.
 */
import type { ElementObject, ElementValue } from "../../codec/csp/message.ts";
import {
  getGroupMemberResponse,
  getGroupPropsResponse,
  getGroupSubStatusResponse,
  getJoinedUsersResponse,
  type GroupChangeData,
  groupChangeNotice,
  groupMessageRequest,
  type GroupProperty,
  type GroupRequestFields,
  type GroupRequestName,
  type JoinedName,
  joinGroupResponse,
  leaveGroupIndication,
  readGroupRequestFields,
  readGroupRequestHead,
  rejectListResponse,
  type RelayedGroupMessage,
  sendMessageResponse,
  status,
  type WelcomeNoteData,
} from "../../codec/ssp/mod.ts";
import type { XmlElement } from "../../codec/xml/tree.ts";
import type { Federation } from "../../federation/federation.ts";
import type { HandlerReply, RequestContext } from "../../session/handler.ts";
import type { ServerContext } from "../../session/server_context.ts";
import { describe, ProtocolError } from "../../session/status.ts";
import { all, int, obj, str } from "../../session/values.ts";
import type { Mutation } from "../../store/kv.ts";
import { parseUserId, type UserAddress } from "../../util/userid.ts";
import { parseGroupId } from "../group/ids.ts";
import type { GroupChange } from "../group/notices.ts";
import type { RemoteReceiver } from "../group/remote.ts";
import type { Draft } from "../im/compose.ts";
import { type GroupAddressing, sendToGroups } from "../im/seams.ts";
import { SEEN_REMEMBERED_MS } from "./limits.ts";
import type { RelayQueue } from "./queue.ts";
import { relayedContent, relayedDraft } from "./relayed_content.ts";

/** The CSP primitive that serves each SSP group request, and the SubscribeType it stands for. */
const SERVED_BY: Record<GroupRequestName, { primitive: string; subscribeType?: string }> = {
  JoinGroupRequest: { primitive: "JoinGroup-Request" },
  LeaveGroupRequest: { primitive: "LeaveGroup-Request" },
  GetGroupMemberRequest: { primitive: "GetGroupMembers-Request" },
  GetJoinedUsersRequest: { primitive: "GetJoinedUsers-Request" },
  GetGroupPropsRequest: { primitive: "GetGroupProps-Request" },
  SetGroupPropsRequest: { primitive: "SetGroupProps-Request" },
  SubscribeGroupChangeRequest: { primitive: "SubscribeGroupNotice-Request", subscribeType: "S" },
  UnsubscribeGroupChangeRequest: { primitive: "SubscribeGroupNotice-Request", subscribeType: "U" },
  GetGroupSubStatusRequest: { primitive: "SubscribeGroupNotice-Request", subscribeType: "G" },
  AddGroupMemberRequest: { primitive: "AddGroupMembers-Request" },
  RemoveGroupMemberRequest: { primitive: "RemoveGroupMembers-Request" },
  MemberAccessRequest: { primitive: "MemberAccess-Request" },
  RejectListRequest: { primitive: "RejectList-Request" },
  DeleteGroupRequest: { primitive: "DeleteGroup-Request" },
  CreateGroupRequest: { primitive: "CreateGroup-Request" },
};

/** The version the group primitives run in for a peer: its answers carry the most. */
const PEER_VERSION = "1.3";

interface SeenRecord {
  code: number;
  description?: string;
}

const seenKey = (peer: string, messageId: string) => ["relay", "group", "in", peer, messageId];

export class GroupHome {
  readonly #server: ServerContext;
  readonly #federation: Federation;
  readonly #queue: RelayQueue;
  /** Domains with notices queued by mutations not known to be committed yet (see `flush`). */
  readonly #pending = new Set<string>();

  constructor(server: ServerContext, federation: Federation, queue: RelayQueue) {
    this.#server = server;
    this.#federation = federation;
    this.#queue = queue;
  }

  // ---- A peer's requests -----------------------------------------------------------------------

  /** A peer's group request about one of our groups, run as its user's own request. */
  async serve(peer: string, name: GroupRequestName, p: XmlElement): Promise<XmlElement> {
    const head = readGroupRequestHead(p);
    if (!head?.user) return status(400, `Malformed ${name}`);
    const user = parseUserId(head.user, peer);
    if (!user || user.domain !== peer) {
      return status(402, "The user is not of the requesting domain");
    }
    const refusal = this.#notOurGroup(head.groupId);
    if (refusal) return refusal;
    const address = parseGroupId(head.groupId, this.#server.config.domain)!;
    const groupId = address.id;
    // A group is named after its creator's user part: here that part belongs to our own user of
    // that name, so a user of another domain cannot take it.
    if (
      name === "CreateGroupRequest" &&
      await this.#server.users.get(`wv:${address.owner}@${this.#server.config.domain}`)
    ) {
      return status(806, `wv:${address.owner}@${this.#server.config.domain} names groups here`);
    }
    const served = SERVED_BY[name];
    const module = this.#server.registry.primitive(served.primitive, PEER_VERSION);
    if (!module) return status(405, `${name} is not supported`);
    const body = cspRequest(groupId, readGroupRequestFields(p), served.subscribeType);
    try {
      return sspAnswer(groupId, await module.handle(this.#context(peer, user.id), body));
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      return status(error.code, error.message || describe(error.code));
    }
  }

  /** A member's message to one of our groups: delivered as if the member had sent it here. */
  async receiveMessage(peer: string, m: RelayedGroupMessage): Promise<XmlElement> {
    const sender = m.sender === undefined ? undefined : parseUserId(m.sender, peer);
    if (!sender || sender.domain !== peer) {
      return sendMessageResponse(
        m.messageId,
        status(402, "Sender is not of the requesting domain"),
      );
    }
    const refusal = this.#notOurGroup(m.groupId);
    if (refusal) return sendMessageResponse(m.messageId, refusal);
    // A peer that did not hear our answer sends again: it gets the same answer, no second copy.
    const key = seenKey(peer, m.messageId);
    const seen = await this.#server.store.get<SeenRecord>(key);
    if (seen) return sendMessageResponse(m.messageId, status(seen.code, seen.description));

    let outcome: SeenRecord;
    try {
      const { draft, content } = relayedDraft(m, sender.id, false, this.#server.config);
      const groupId = parseGroupId(m.groupId, this.#server.config.domain)!.id;
      const [result] = await sendToGroups(this.#server, draft, content, [
        { groupId, ...(m.recipientName !== undefined ? { screenName: m.recipientName } : {}) },
      ]);
      outcome = { code: result.code, description: result.description };
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      outcome = { code: error.code, description: error.message };
    }
    await this.#server.store.write({
      type: "set",
      key,
      value: outcome,
      expireIn: SEEN_REMEMBERED_MS,
    });
    return sendMessageResponse(m.messageId, status(outcome.code, outcome.description));
  }

  // ---- What our groups send to other domains ---------------------------------------------------

  /** The copies of a group message for joined users of other domains, one request per domain. */
  async relayCopies(
    draft: Draft,
    content: string,
    addressing: GroupAddressing,
    receivers: UserAddress[],
  ): Promise<void> {
    const now = Date.now();
    const giveUpAt = Math.min(draft.expiresAt ?? Infinity, now + this.#giveUpMs());
    const mutations: Mutation[] = [];
    const byDomain = this.#byDomain(receivers.map((r) => r.id));
    for (const [domain, users] of byDomain) {
      const message: RelayedGroupMessage = {
        ...relayedContent(draft, content, now),
        groupId: addressing.groupId,
        senderName: addressing.senderName,
        receivers: users,
        recipientName: addressing.recipientName,
      };
      const primitive = groupMessageRequest(this.#server.config.domain, message);
      // Only a copy tried for the whole give-up time says its receivers' server is gone (the
      // message's own Validity may end sooner).
      const groupCopy = giveUpAt === now + this.#giveUpMs()
        ? { groupId: addressing.groupId, receivers: users }
        : undefined;
      mutations.push(
        this.#queue.enqueue(domain, { kind: "request", primitive, giveUpAt, groupCopy }),
      );
    }
    await this.#server.store.write(...mutations);
    for (const domain of byDomain.keys()) this.#queue.kick(domain);
  }

  /**
   * A copy of a group message could not reach its receivers' server until it was given up (or
   * the domain is refused now): they leave the group, as if they had asked to, so that the group
   * stops sending them its traffic and the others hear they left. Their server, if it comes
   * back, learns it the first time one of them uses the group (808).
   */
  async dropUnreachable(domain: string, groupId: string, receivers: string[]): Promise<void> {
    const module = this.#server.registry.primitive("LeaveGroup-Request", PEER_VERSION)!;
    for (const user of receivers) {
      try {
        await module.handle(this.#context(domain, user), { GroupID: groupId });
      } catch (error) {
        // Gone already (left, kicked, or an earlier lost copy took them out).
        if (!(error instanceof ProtocolError)) throw error;
      }
    }
  }

  /** One GroupChangeNotice per domain and view (with or without UserIDs). */
  noticeMutations(groupId: string, receivers: RemoteReceiver[], change: GroupChange): Mutation[] {
    const mutations: Mutation[] = [];
    for (const withIds of [false, true]) {
      const users = receivers.filter((r) => r.withIds === withIds).map((r) => r.user);
      for (const [domain, recipients] of this.#byDomain(users)) {
        const primitive = groupChangeNotice(
          this.#server.config.domain,
          groupId,
          recipients,
          sspChange(change, withIds),
        );
        mutations.push(this.#queued(domain, primitive));
      }
    }
    return mutations;
  }

  removalMutations(groupId: string, users: string[], code: number, reason: string): Mutation[] {
    return [...this.#byDomain(users)].map(([domain, recipients]) =>
      this.#queued(
        domain,
        leaveGroupIndication(this.#server.config.domain, groupId, recipients, code, reason),
      )
    );
  }

  /** Sends what the mutations queued; each caller flushes after its own commit, so a queue
   * never looks before the work it is kicked for is there. */
  flush(): void {
    for (const domain of this.#pending) this.#queue.kick(domain);
    this.#pending.clear();
  }

  // ---- Helpers ---------------------------------------------------------------------------------

  /** A notice the peer sends no answer to (Baraza answers none), as presence notifications. */
  #queued(domain: string, primitive: XmlElement): Mutation {
    this.#pending.add(domain);
    return this.#queue.enqueue(domain, {
      kind: "notify",
      primitive,
      giveUpAt: Date.now() + this.#giveUpMs(),
    });
  }

  #byDomain(users: string[]): Map<string, string[]> {
    const byDomain = new Map<string, string[]>();
    for (const user of users) {
      const address = parseUserId(user, this.#server.config.domain);
      if (!address || !this.#federation.peers.allowed(address.domain)) continue;
      byDomain.set(address.domain, [...byDomain.get(address.domain) ?? [], address.id]);
    }
    return byDomain;
  }

  #giveUpMs(): number {
    return this.#server.config.sspGiveUpS * 1000;
  }

  /** 800 for what is not a group id, 516 for a group of a third domain (never relayed on). */
  #notOurGroup(raw: string): XmlElement | undefined {
    const { domain } = this.#server.config;
    const address = parseGroupId(raw, domain);
    if (!address) return status(800, "Group does not exist");
    if (address.domain !== domain) {
      return status(516, `Domain ${address.domain} is not served here`);
    }
    return undefined;
  }

  /** A request context for a user of another domain: no session of theirs lives here. */
  #context(peer: string, user: string): RequestContext {
    const now = Date.now();
    return {
      server: this.#server,
      version: PEER_VERSION,
      transactionId: `ssp-${peer}`,
      session: {
        id: `ssp:${peer}:${user}`,
        userId: user,
        version: PEER_VERSION,
        ttl: 0,
        expiresAt: now,
        createdAt: now,
        multiTrans: 1,
      },
    };
  }
}

/** What a relayed message says of its content, as a CSP MessageInfo. */
// ---- SSP request → CSP request -----------------------------------------------------------------

const cspProperties = (properties: GroupProperty[]) => ({
  Property: properties.map((p) => ({ Name: p.name, Value: p.value })),
});

function cspRequest(
  groupId: string,
  f: GroupRequestFields,
  subscribeType: string | undefined,
): ElementObject {
  const body: ElementObject = { GroupID: groupId };
  if (subscribeType) body.SubscribeType = subscribeType;
  if (f.screenName !== undefined) body.ScreenName = { SName: f.screenName, GroupID: groupId };
  if (f.joinedList) body.JoinedRequest = true;
  if (f.subscribe) body.SubscribeNotification = true;
  if (f.groupProperties || f.welcomeNote) {
    const group: ElementObject = cspProperties(f.groupProperties ?? []);
    if (f.welcomeNote) {
      group.WelcomeNote = {
        ContentType: f.welcomeNote.contentType,
        ContentEncoding: f.welcomeNote.encoding,
        ContentData: f.welcomeNote.data,
      };
    }
    body.GroupProperties = group;
  }
  if (f.ownProperties) body.OwnProperties = cspProperties(f.ownProperties);
  if (f.users) body.UserList = userListOf(f.users);
  if (f.roles) {
    body.Admin = { UserList: userListOf(f.roles.admins) };
    body.Mod = { UserList: userListOf(f.roles.moderators) };
    body.UserList = userListOf(f.roles.users);
  }
  if (f.rejectAdd) body.AddList = { UserList: userListOf(f.rejectAdd) };
  if (f.rejectRemove) body.RemoveList = { UserList: userListOf(f.rejectRemove) };
  if (f.join !== undefined) body.JoinGroup = f.join;
  return body;
}

const userListOf = (users: string[]) => ({ User: users.map((id) => ({ UserID: id })) });

// ---- CSP answer → SSP answer -------------------------------------------------------------------

function sspAnswer(groupId: string, reply: HandlerReply): XmlElement {
  if (!reply || Array.isArray(reply)) return status(500, "No answer");
  const body = reply.body;
  switch (reply.name) {
    case "JoinGroup-Response":
      return joinGroupResponse(groupId, {
        joined: body.Joined === undefined ? undefined : joinedNames(obj(body.Joined)?.UserMapList),
        screenName: str(obj(body.ScreenName)?.SName),
        welcomeNote: welcomeNote(obj(body.WelcomeNote)),
      });
    case "GetGroupMembers-Response":
      return getGroupMemberResponse({
        admins: userIdsOf(obj(obj(body.Admin)?.UserList)),
        moderators: userIdsOf(obj(obj(body.Mod)?.UserList)),
        users: userIdsOf(obj(body.UserList)),
      });
    case "GetJoinedUsers-Response": {
      const admin = obj(body.AdminMapList);
      if (admin) {
        return getJoinedUsersResponse({
          admins: mappingNames(admin.AdminMapping),
          moderators: mappingNames(admin.ModMapping),
          users: mappingNames(admin.UserMapping),
        });
      }
      return getJoinedUsersResponse({
        users: mappingNames(obj(body.UserMapList)?.UserMapping),
      });
    }
    case "GetGroupProps-Response": {
      const group = obj(body.GroupProperties);
      return getGroupPropsResponse({
        properties: propertiesOf(group),
        welcomeNote: welcomeNote(obj(group?.WelcomeNote)),
        own: propertiesOf(obj(body.OwnProperties)),
      });
    }
    case "SubscribeGroupNotice-Response":
      return getGroupSubStatusResponse(groupId, str(body.Value) === "T");
    case "RejectList-Response":
      return rejectListResponse(userIdsOf(obj(body.UserList)));
    default: {
      // Status, LeaveGroup-Response: only the result travels, with the users it names.
      const result = obj(body.Result);
      const code = int(result?.Code) ?? 200;
      const details = all(result?.DetailedResult).map((d) => ({
        code: int(obj(d)?.Code) ?? 500,
        description: str(obj(d)?.Description),
        userIds: all(obj(d)?.UserID).map((u) => str(u)).filter((u): u is string => !!u),
      }));
      return status(code, str(result?.Description) ?? describe(code), details);
    }
  }
}

type Value = ElementValue | ElementValue[] | undefined;

function joinedNames(list: Value): JoinedName[] {
  return mappingNames(obj(list)?.UserMapping);
}

function mappingNames(mapping: Value): JoinedName[] {
  return all(obj(mapping)?.Mapping).flatMap((m) => {
    const name = str(obj(m)?.SName);
    const userId = str(obj(m)?.UserID);
    return name === undefined ? [] : [{ name, ...(userId ? { userId } : {}) }];
  });
}

const userIdsOf = (list: ElementObject | undefined) =>
  all(list?.User).map((u) => str(obj(u)?.UserID)).filter((id): id is string => !!id);

const propertiesOf = (element: ElementObject | undefined): GroupProperty[] =>
  all(element?.Property).flatMap((p) => {
    const name = str(obj(p)?.Name);
    return name === undefined ? [] : [{ name, value: str(obj(p)?.Value) ?? "" }];
  });

function welcomeNote(element: ElementObject | undefined): WelcomeNoteData | undefined {
  if (!element) return undefined;
  return {
    contentType: str(element.ContentType) ?? "text/plain",
    encoding: str(element.ContentEncoding) === "BASE64" ? "BASE64" : "None",
    data: str(element.ContentData) ?? "",
  };
}

/** A change as a peer's users see it: screen names, with UserIDs only where `withIds`. */
function sspChange(change: GroupChange, withIds: boolean): GroupChangeData {
  return {
    joined: (change.joined ?? []).map((j) => ({
      name: j.screenName,
      ...(withIds ? { userId: j.user } : {}),
    })),
    left: change.left ?? [],
    properties: Object.entries(change.properties ?? {}).map(([name, value]) => ({ name, value })),
  };
}
