/**
 * Groups across domains, the member's side: a local user's group primitive about a group of
 * another domain is asked of that group's server while the client waits, and its answer is
 * given in the shape of the client's version, like a local one. A join is remembered here
 * (["relay", "group", "member", user, groupId]) so that only what the group's server sends for
 * groups our users joined reaches them, that their messages to it can be answered at once, and
 * that they leave it when their last session ends (as a local group would take them out).
 * Messages, GroupChangeNotices and removals from the group's server are delivered to our users'
 * sessions exactly as a local group's. A remote group set to AutoJoin
 * (["relay", "group", "autojoin", user, groupId]) is joined again, through the queue, at the
 * user's next login.
 */
import type { ElementObject, Primitive } from "../../codec/csp/message.ts";
import {
  detailedResults,
  groupMessageRequest,
  groupRequest,
  type GroupRequestFields,
  type GroupRequestName,
  type JoinedName,
  readGetGroupMemberResponse,
  readGetGroupPropsResponse,
  readGetJoinedUsersResponse,
  readGroupChangeNotice,
  readJoinGroupResponse,
  readLeaveGroupIndication,
  readRejectListResponse,
  readSubscribed,
  type RelayedGroupMessage,
  sendMessageResponse,
  status as sspStatus,
  statusCode,
  statusDescription,
} from "../../codec/ssp/mod.ts";
import type { XmlElement } from "../../codec/xml/tree.ts";
import { type Federation, PeerRefused, PeerUnavailable } from "../../federation/federation.ts";
import type { HandlerReply, RequestContext } from "../../session/handler.ts";
import type { ServerContext } from "../../session/server_context.ts";
import { describe, ProtocolError, status } from "../../session/status.ts";
import { all, bool, obj, str } from "../../session/values.ts";
import { del, type Mutation, set } from "../../store/kv.ts";
import type { SessionRecord } from "../../store/sessions.ts";
import { parseUserId } from "../../util/userid.ts";
import { userList } from "../group/access.ts";
import { parseGroupId } from "../group/ids.ts";
import { defaultScreenName } from "../group/membership.ts";
import {
  changeNotice,
  commitChunked,
  type GroupChange,
  joinedList,
  type JoinedUser,
  mappings,
  removedMutations,
} from "../group/notices.ts";
import { welcomeNoteElement } from "../group/properties.ts";
import type { Draft } from "../im/compose.ts";
import { deliverToGroup, type GroupRecipient, type RecipientOutcome } from "../im/seams.ts";
import {
  AUTO_JOIN_GIVE_UP_MS,
  GROUP_NOTICE_TARGETS,
  GROUP_REQUEST_TIMEOUT_MS,
  SEEN_REMEMBERED_MS,
} from "./limits.ts";
import type { RelayQueue } from "./queue.ts";
import { relayedContent, relayedDraft } from "./relayed_content.ts";

interface Membership {
  screenName: string;
  joinedAt: number;
}

const membershipPrefix = (user: string) => ["relay", "group", "member", user];
const membershipKey = (user: string, groupId: string) => [...membershipPrefix(user), groupId];
const seenKey = (peer: string, messageId: string) => ["relay", "group", "copy", peer, messageId];

/** The SSP request each relayed CSP primitive becomes (SubscribeGroupNotice by its type). */
const ASKED_AS: Record<string, GroupRequestName> = {
  "JoinGroup-Request": "JoinGroupRequest",
  "LeaveGroup-Request": "LeaveGroupRequest",
  "GetGroupMembers-Request": "GetGroupMemberRequest",
  "GetJoinedUsers-Request": "GetJoinedUsersRequest",
  "GetGroupProps-Request": "GetGroupPropsRequest",
  "SetGroupProps-Request": "SetGroupPropsRequest",
  "SubscribeGroupNotice-Request/S": "SubscribeGroupChangeRequest",
  "SubscribeGroupNotice-Request/U": "UnsubscribeGroupChangeRequest",
  "SubscribeGroupNotice-Request/G": "GetGroupSubStatusRequest",
  "AddGroupMembers-Request": "AddGroupMemberRequest",
  "RemoveGroupMembers-Request": "RemoveGroupMemberRequest",
  "MemberAccess-Request": "MemberAccessRequest",
  "RejectList-Request": "RejectListRequest",
  "DeleteGroup-Request": "DeleteGroupRequest",
  "CreateGroup-Request": "CreateGroupRequest",
};

/** A group of another domain the user rejoins at each login (own property AutoJoin T). */
interface AutoJoin {
  screenName: string;
}

const autoJoinPrefix = (user: string) => ["relay", "group", "autojoin", user];
const autoJoinKey = (user: string, groupId: string) => [...autoJoinPrefix(user), groupId];

export class GroupMember {
  readonly #server: ServerContext;
  readonly #federation: Federation;
  readonly #queue: RelayQueue;

  constructor(server: ServerContext, federation: Federation, queue: RelayQueue) {
    this.#server = server;
    this.#federation = federation;
    this.#queue = queue;
  }

  // ---- A local user's requests -----------------------------------------------------------------

  async forward(ctx: RequestContext, groupId: string, request: Primitive): Promise<HandlerReply> {
    const domain = parseGroupId(groupId, this.#server.config.domain)!.domain;
    if (!this.#federation.peers.allowed(domain)) {
      return status(516, `Domain ${domain} is not federated with`);
    }
    const user = ctx.session!.userId;
    const body = request.body;
    // Leaving a group joined through here needs no answer: the group's server is told (queued,
    // so also while it is down) and the user is out at once.
    if (request.name === "LeaveGroup-Request" && await this.#membership(user, groupId)) {
      await this.#server.store.write(...this.#leaveMutations(user, groupId, domain));
      this.#queue.kick(domain);
      return leaveResponse(groupId);
    }
    const type = str(body.SubscribeType)?.trim().toUpperCase();
    const name = ASKED_AS[type ? `${request.name}/${type}` : request.name];
    if (!name) return status(405, `${request.name} is not relayed to other domains`);

    const primitive = groupRequest(
      name,
      this.#server.config.domain,
      user,
      groupId,
      fields(request.name, body),
    );
    let answer: XmlElement;
    try {
      answer = await withTimeout(this.#federation.request(domain, primitive), domain);
    } catch (error) {
      if (error instanceof PeerRefused) return status(516, error.message);
      if (error instanceof PeerUnavailable) {
        return status(503, `The group's server cannot be reached: ${error.message}`);
      }
      throw error;
    }
    const code = peerCode(statusCode(answer));
    if (code !== 200 && code !== 201) {
      return status(code, statusDescription(answer)?.slice(0, 200) || describe(code));
    }
    return await this.#answered(ctx, groupId, request, answer);
  }

  /** The group server's answer, in the shape a local group would give it. */
  async #answered(
    ctx: RequestContext,
    groupId: string,
    request: Primitive,
    answer: XmlElement,
  ): Promise<HandlerReply> {
    const user = ctx.session!.userId;
    const body = request.body;
    await this.#keepAutoJoin(user, groupId, request, answer);
    switch (request.name) {
      case "CreateGroup-Request": {
        if (bool(body.JoinGroup)) {
          const screenName = str(obj(body.ScreenName)?.SName)?.trim() ?? defaultScreenName(user);
          await this.#server.store.write(
            set(membershipKey(user, groupId), { screenName, joinedAt: Date.now() }),
          );
        }
        return status(200);
      }
      case "RejectList-Request":
        return {
          name: "RejectList-Response",
          body: { UserList: userList(readRejectListResponse(answer)) },
        };
      case "JoinGroup-Request": {
        const a = readJoinGroupResponse(answer);
        const screenName = a.screenName ?? str(obj(body.ScreenName)?.SName)?.trim() ??
          defaultScreenName(user);
        const membership: Membership = { screenName, joinedAt: Date.now() };
        await this.#server.store.write(set(membershipKey(user, groupId), membership));
        const out: ElementObject = {};
        if (bool(body.JoinedRequest) && a.joined) {
          const list = joinedList(ctx.version, groupId, joinedUsers(a.joined), hasIds(a.joined));
          // 1.3 wraps the list in Joined; 1.1 and 1.2 send it bare, as for a local group.
          Object.assign(out, ctx.version === "1.3" ? { Joined: list } : list);
        }
        if (ctx.version === "1.3") out.ScreenName = { SName: screenName, GroupID: groupId };
        if (a.welcomeNote) out.WelcomeNote = welcomeNoteElement(a.welcomeNote);
        return { name: "JoinGroup-Response", body: out };
      }
      case "LeaveGroup-Request":
        return leaveResponse(groupId);
      case "GetGroupMembers-Request": {
        const m = readGetGroupMemberResponse(answer);
        return {
          name: "GetGroupMembers-Response",
          body: {
            Admin: { UserList: userList(m.admins) },
            Mod: { UserList: userList(m.moderators) },
            UserList: userList(m.users),
          },
        };
      }
      case "GetJoinedUsers-Request": {
        const j = readGetJoinedUsersResponse(answer);
        const list = (names: JoinedName[]) => ({
          Mapping: mappings(joinedUsers(names), hasIds(names)),
        });
        const body = j.admins || j.moderators
          ? {
            AdminMapList: {
              AdminMapping: list(j.admins ?? []),
              ModMapping: list(j.moderators ?? []),
              UserMapping: list(j.users),
            },
          }
          : { UserMapList: { UserMapping: list(j.users) } };
        return { name: "GetJoinedUsers-Response", body };
      }
      case "GetGroupProps-Request": {
        const p = readGetGroupPropsResponse(answer);
        const group: ElementObject = { Property: cspProperties(p.properties) };
        if (p.welcomeNote) group.WelcomeNote = welcomeNoteElement(p.welcomeNote);
        return {
          name: "GetGroupProps-Response",
          body: { GroupProperties: group, OwnProperties: { Property: cspProperties(p.own) } },
        };
      }
      default:
        if (str(body.SubscribeType)?.trim().toUpperCase() === "G") {
          return {
            name: "SubscribeGroupNotice-Response",
            body: { Value: readSubscribed(answer) ? "T" : "F" },
          };
        }
        return peerStatus(answer);
    }
  }

  /**
   * Remembers, or forgets, a remote group the user set AutoJoin for (in a JoinGroup or
   * SetGroupProps the group's server took), as the group element does for local groups.
   */
  async #keepAutoJoin(user: string, groupId: string, request: Primitive, answer: XmlElement) {
    if (request.name !== "JoinGroup-Request" && request.name !== "SetGroupProps-Request") return;
    const own = properties(obj(request.body.OwnProperties) ?? {});
    const autoJoin = own.find((p) => p.name === "AutoJoin")?.value.toUpperCase();
    if (autoJoin !== "T" && autoJoin !== "F") return;
    if (autoJoin === "F") return await this.#server.store.write(del(autoJoinKey(user, groupId)));
    const screenName = readJoinGroupResponse(answer).screenName ??
      (await this.#membership(user, groupId))?.screenName ??
      str(obj(request.body.ScreenName)?.SName)?.trim() ?? defaultScreenName(user);
    await this.#server.store.write(set(autoJoinKey(user, groupId), { screenName }));
  }

  /** A new session: the user rejoins the remote groups set to AutoJoin (queued, so also while
   * their servers are down; joined once a server says yes). */
  async autoJoin(session: SessionRecord): Promise<void> {
    const user = session.userId;
    const mutations: Mutation[] = [];
    const domains = new Set<string>();
    for (const { key, value } of await this.#server.store.list<AutoJoin>(autoJoinPrefix(user))) {
      const groupId = String(key[key.length - 1]);
      const domain = parseGroupId(groupId, this.#server.config.domain)?.domain;
      if (!domain || await this.#membership(user, groupId)) continue;
      const primitive = groupRequest(
        "JoinGroupRequest",
        this.#server.config.domain,
        user,
        groupId,
        {
          screenName: value.screenName,
        },
      );
      mutations.push(this.#queue.enqueue(domain, {
        kind: "request",
        primitive,
        giveUpAt: Date.now() + AUTO_JOIN_GIVE_UP_MS,
        joins: { user, groupId, screenName: value.screenName },
      }));
      domains.add(domain);
    }
    if (mutations.length === 0) return;
    await commitChunked(this.#server, mutations);
    for (const domain of domains) this.#queue.kick(domain);
  }

  /** The group's server took a queued join (AutoJoin): the user is in. */
  async joined(join: { user: string; groupId: string; screenName: string }): Promise<void> {
    if ((await this.#server.sessions.repo.listByUser(join.user)).length === 0) return;
    await this.#server.store.write(
      set(membershipKey(join.user, join.groupId), {
        screenName: join.screenName,
        joinedAt: Date.now(),
      }),
    );
  }

  /**
   * A local user's message to a group of another domain, queued for the group's server, which
   * decides who gets it. Only a user who joined through here may post (808 otherwise).
   */
  async relayToGroup(
    draft: Draft,
    content: string,
    recipient: GroupRecipient,
  ): Promise<RecipientOutcome> {
    const address = parseGroupId(recipient.groupId, this.#server.config.domain)!;
    const outcome = (code: number, description?: string): RecipientOutcome => ({
      kind: "GroupID",
      id: address.id,
      code,
      ...(description ? { description } : {}),
    });
    if (!this.#federation.peers.allowed(address.domain)) {
      return outcome(516, `Domain ${address.domain} is not federated with`);
    }
    if (!await this.#membership(draft.sender, address.id)) {
      return outcome(808, "Group is not joined");
    }
    const now = Date.now();
    const message: RelayedGroupMessage = {
      ...relayedContent(draft, content, now),
      groupId: address.id,
      sender: draft.sender,
      recipientName: recipient.screenName,
    };
    await this.#server.store.write(this.#queue.enqueue(address.domain, {
      kind: "request",
      primitive: groupMessageRequest(this.#server.config.domain, message),
      giveUpAt: Math.min(draft.expiresAt ?? Infinity, now + this.#giveUpMs()),
    }));
    this.#queue.kick(address.domain);
    return outcome(200);
  }

  /** The user's last session ended: they leave every group of another domain they joined. */
  async leaveAll(session: SessionRecord): Promise<void> {
    const user = session.userId;
    if (await this.#server.sessions.repo.hasSessions(user)) return;
    const domains = new Set<string>();
    const mutations: Mutation[] = [];
    for (const { key } of await this.#server.store.list(membershipPrefix(user))) {
      const groupId = String(key[key.length - 1]);
      const domain = parseGroupId(groupId, this.#server.config.domain)?.domain;
      if (!domain) continue;
      mutations.push(...this.#leaveMutations(user, groupId, domain));
      domains.add(domain);
    }
    if (mutations.length === 0) return;
    await commitChunked(this.#server, mutations);
    for (const domain of domains) this.#queue.kick(domain);
  }

  // ---- What a group's server sends -------------------------------------------------------------

  /** A copy of a group message for our joined users: delivered as a local group's would be. */
  async receiveCopy(peer: string, m: RelayedGroupMessage): Promise<XmlElement> {
    const group = parseGroupId(m.groupId, peer);
    if (!group || group.domain !== peer) {
      return sendMessageResponse(
        m.messageId,
        sspStatus(402, "The group is not of the requesting domain"),
      );
    }
    if (m.senderName === undefined) {
      return sendMessageResponse(
        m.messageId,
        sspStatus(400, "The sender's screen name is missing"),
      );
    }
    const key = seenKey(peer, m.messageId);
    const seen = await this.#server.store.get<XmlElement>(key);
    if (seen) return sendMessageResponse(m.messageId, seen);

    const joined: string[] = [];
    const strangers: string[] = [];
    for (const raw of (m.receivers ?? []).slice(0, GROUP_NOTICE_TARGETS)) {
      const user = this.#localUser(raw);
      if (user && await this.#membership(user, group.id)) joined.push(user);
      else strangers.push(raw);
    }
    let answer: XmlElement;
    try {
      // The group stands in for the sender, whose UserID the group's server does not reveal.
      const { draft, content } = relayedDraft(m, group.id, false, this.#server.config);
      const addressing = {
        groupId: group.id,
        senderName: m.senderName,
        ...(m.recipientName !== undefined ? { recipientName: m.recipientName } : {}),
      };
      await deliverToGroup(this.#server, draft, content, { addressing, receivers: joined });
      answer = strangers.length === 0 ? sspStatus(200, describe(200)) : sspStatus(
        joined.length > 0 ? 201 : 808,
        joined.length > 0 ? describe(201) : "Group is not joined",
        [{ code: 808, description: "Group is not joined", userIds: strangers }],
      );
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      answer = sspStatus(error.code, error.message);
    }
    await this.#server.store.write({
      type: "set",
      key,
      value: answer,
      expireIn: SEEN_REMEMBERED_MS,
    });
    return sendMessageResponse(m.messageId, answer);
  }

  /** A GroupChangeNotice for our users: queued to their sessions in their versions' shapes. */
  async noticed(peer: string, p: XmlElement): Promise<undefined> {
    const notice = readGroupChangeNotice(p);
    const group = notice && parseGroupId(notice.groupId, peer);
    if (!notice || !group || group.domain !== peer) return undefined;
    const { joined, left, properties } = notice.data;
    const change: GroupChange = {
      ...(joined.length ? { joined: joinedUsers(joined) } : {}),
      ...(left.length ? { left } : {}),
      ...(properties.length
        ? { properties: Object.fromEntries(properties.map((q) => [q.name, q.value])) }
        : {}),
    };
    const items = [];
    for (const user of await this.#members(notice.recipients, group.id)) {
      for (const session of await this.#server.sessions.repo.listByUser(user)) {
        const primitive = changeNotice(session.version, group.id, change, hasIds(joined));
        items.push({ sessionId: session.id, entry: { primitive } });
      }
    }
    await commitChunked(this.#server, await this.#server.outbox.enqueueManyMutations(items));
    return undefined;
  }

  /** The group's server took our users out: they are told as by a local group. */
  async removed(peer: string, p: XmlElement): Promise<undefined> {
    const indication = readLeaveGroupIndication(p);
    const group = indication && parseGroupId(indication.groupId, peer);
    if (!indication || !group || group.domain !== peer) return undefined;
    // Only a refusal makes sense here; anything else is told as the group being gone.
    const code = indication.data.code >= 400 && indication.data.code < 900
      ? indication.data.code
      : 800;
    const reason = indication.data.reason?.slice(0, 200) ?? describe(code);
    const mutations: Mutation[] = [];
    for (const user of await this.#members(indication.recipients, group.id)) {
      mutations.push(
        del(membershipKey(user, group.id)),
        ...await removedMutations(this.#server, user, group.id, code, reason),
      );
    }
    await commitChunked(this.#server, mutations);
    return undefined;
  }

  // ---- Helpers ---------------------------------------------------------------------------------

  #membership(user: string, groupId: string): Promise<Membership | undefined> {
    return this.#server.store.get<Membership>(membershipKey(user, groupId));
  }

  /** The named users of ours who joined the group through here. */
  async #members(named: string[], groupId: string): Promise<string[]> {
    const users = [
      ...new Set(named.slice(0, GROUP_NOTICE_TARGETS).map((raw) => this.#localUser(raw))),
    ]
      .filter((u): u is string => u !== undefined);
    const joined = await Promise.all(users.map((u) => this.#membership(u, groupId)));
    return users.filter((_, i) => joined[i]);
  }

  #localUser(raw: string): string | undefined {
    const { domain } = this.#server.config;
    const address = parseUserId(raw, domain);
    return address?.domain === domain ? address.id : undefined;
  }

  #leaveMutations(user: string, groupId: string, domain: string): Mutation[] {
    return [
      del(membershipKey(user, groupId)),
      this.#queue.enqueue(domain, {
        kind: "request",
        primitive: groupRequest("LeaveGroupRequest", this.#server.config.domain, user, groupId),
        giveUpAt: Date.now() + this.#giveUpMs(),
      }),
    ];
  }

  #giveUpMs(): number {
    return this.#server.config.sspGiveUpS * 1000;
  }
}

/** What a CSP group request carries that its SSP request does too. */
function fields(name: string, body: ElementObject): GroupRequestFields {
  const group = obj(body.GroupProperties);
  const own = obj(body.OwnProperties);
  const note = obj(group?.WelcomeNote);
  return {
    ...(name === "AddGroupMembers-Request" || name === "RemoveGroupMembers-Request"
      ? { users: idsIn(body) }
      : {}),
    ...(name === "MemberAccess-Request"
      ? {
        roles: {
          admins: idsIn(obj(body.Admin)),
          moderators: idsIn(obj(body.Mod)),
          users: idsIn({ UserList: body.UserList }),
        },
      }
      : {}),
    ...(name === "RejectList-Request"
      ? { rejectAdd: idsIn(obj(body.AddList)), rejectRemove: idsIn(obj(body.RemoveList)) }
      : {}),
    ...(name === "CreateGroup-Request" ? { join: bool(body.JoinGroup) ?? false } : {}),
    screenName: str(obj(body.ScreenName)?.SName)?.trim(),
    joinedList: bool(body.JoinedRequest) ?? false,
    subscribe: bool(body.SubscribeNotification) ?? false,
    ...(group ? { groupProperties: properties(group) } : {}),
    ...(note
      ? {
        welcomeNote: {
          contentType: str(note.ContentType)?.trim() ?? "text/plain",
          encoding: /^base64$/i.test(str(note.ContentEncoding)?.trim() ?? "") ? "BASE64" : "None",
          data: str(note.ContentData) ?? "",
        },
      }
      : {}),
    ...(own ? { ownProperties: properties(own) } : {}),
  };
}

/** The UserIDs a CSP element lists (`UserList{User{UserID}}`, `UserIDList`, bare `UserID`). */
const idsIn = (element: ElementObject | undefined): string[] =>
  element
    ? [
      ...all(obj(element.UserList)?.User).map((u) => str(obj(u)?.UserID)?.trim()),
      ...all(obj(element.UserIDList)?.UserID).map((u) => str(u)?.trim()),
      ...all(element.UserID).map((u) => str(u)?.trim()),
    ].filter((id): id is string => !!id)
    : [];

/** A peer's Status as the client's Status, with the users its DetailedResults name. */
function peerStatus(answer: XmlElement): Primitive {
  const code = peerCode(statusCode(answer));
  // Bounded as any peer's input: the client gets at most what a local answer could name.
  const details = detailedResults(answer).slice(0, 16).map((d) => ({
    Code: peerCode(d.code),
    ...(d.description ? { Description: d.description.slice(0, 200) } : {}),
    ...(d.userIds?.length ? { UserID: d.userIds.slice(0, GROUP_NOTICE_TARGETS) } : {}),
  }));
  return {
    name: "Status",
    body: {
      Result: {
        Code: code,
        Description: statusDescription(answer)?.slice(0, 200) || describe(code),
        ...(details.length ? { DetailedResult: details } : {}),
      },
    },
  };
}

const properties = (element: ElementObject) =>
  all(element.Property).flatMap((p) => {
    const name = str(obj(p)?.Name)?.trim();
    return name ? [{ name, value: str(obj(p)?.Value)?.trim() ?? "" }] : [];
  });

const cspProperties = (list: { name: string; value: string }[]) =>
  list.map((p) => ({ Name: p.name, Value: p.value }));

const joinedUsers = (names: JoinedName[]): JoinedUser[] =>
  names.map((n) => ({ screenName: n.name, user: n.userId ?? "" }));

/** UserIDs are shown only when the group's server gave them for everyone listed. */
const hasIds = (names: JoinedName[]) => names.length > 0 && names.every((n) => n.userId);

function leaveResponse(groupId: string): Primitive {
  return {
    name: "LeaveGroup-Response",
    body: { GroupID: groupId, Result: { Code: 200, Description: describe(200) } },
  };
}

/**
 * A peer's status code as our client may see it: success, a refusal (4xx, 5xx) or a group code
 * (8xx); session codes (6xx) and anything else would mislead the client, so they become 500.
 */
function peerCode(code: number | undefined): number {
  if (code === undefined) return 500;
  if (code === 200 || code === 201) return code;
  return (code >= 400 && code < 600) || (code >= 800 && code < 900) ? code : 500;
}

/** The group's server gets a bounded time to answer while the client waits. */
function withTimeout(promise: Promise<XmlElement>, domain: string): Promise<XmlElement> {
  let timer: ReturnType<typeof setTimeout>;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new PeerUnavailable(`${domain} gave no answer in time`)),
      GROUP_REQUEST_TIMEOUT_MS,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
