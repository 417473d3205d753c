/**
 * Groups across domains (`server.hooks.groupRelay`, SSP group transactions of digest §9.3):
 * the member's side (group_member.ts) and the group's side (group_home.ts) of every group
 * primitive, message and notice, and the SSP handlers that lead to them.
 */
import type { Primitive } from "../../codec/csp/message.ts";
import {
  GROUP_REQUESTS,
  readGroupMessageRequest,
  sendMessageResponse,
  status,
} from "../../codec/ssp/mod.ts";
import type { XmlElement } from "../../codec/xml/tree.ts";
import type { Federation } from "../../federation/federation.ts";
import type { HandlerReply, RequestContext } from "../../session/handler.ts";
import type { ServerContext } from "../../session/server_context.ts";
import type { Mutation } from "../../store/kv.ts";
import type { UserAddress } from "../../util/userid.ts";
import { parseGroupId } from "../group/ids.ts";
import type { GroupChange } from "../group/notices.ts";
import type { GroupRelay, RemoteReceiver } from "../group/remote.ts";
import type { Draft } from "../im/compose.ts";
import type { GroupAddressing, GroupRecipient, RecipientOutcome } from "../im/seams.ts";
import { GroupHome } from "./group_home.ts";
import { GroupMember } from "./group_member.ts";
import type { RelayQueue } from "./queue.ts";

export class GroupRelayService implements GroupRelay {
  readonly #server: ServerContext;
  readonly #home: GroupHome;
  readonly #member: GroupMember;

  constructor(server: ServerContext, federation: Federation, queue: RelayQueue) {
    this.#server = server;
    this.#home = new GroupHome(server, federation, queue);
    this.#member = new GroupMember(server, federation, queue);
    for (const name of GROUP_REQUESTS) {
      federation.handle(name, (peer, p) => this.#home.serve(peer, name, p));
    }
    federation.handle("GroupChangeNotice", (peer, p) => this.#member.noticed(peer, p));
    federation.handle("LeaveGroupIndication", (peer, p) => this.#member.removed(peer, p));
    server.sessions.onEnd((session) => this.#member.leaveAll(session));
    server.sessions.onStart((session) => this.#member.autoJoin(session));
    queue.onJoined = (join) => this.#member.joined(join);
  }

  forward(ctx: RequestContext, groupId: string, request: Primitive): Promise<HandlerReply> {
    return this.#member.forward(ctx, groupId, request);
  }

  noticeMutations(groupId: string, receivers: RemoteReceiver[], change: GroupChange): Mutation[] {
    return this.#home.noticeMutations(groupId, receivers, change);
  }

  removalMutations(groupId: string, users: string[], code: number, reason: string): Mutation[] {
    return this.#home.removalMutations(groupId, users, code, reason);
  }

  dropUnreachable(domain: string, groupId: string, receivers: string[]): Promise<void> {
    return this.#home.dropUnreachable(domain, groupId, receivers);
  }

  flush(): void {
    this.#home.flush();
  }

  relayToGroup(
    draft: Draft,
    content: string,
    recipient: GroupRecipient,
  ): Promise<RecipientOutcome> {
    return this.#member.relayToGroup(draft, content, recipient);
  }

  relayGroupCopies(
    draft: Draft,
    content: string,
    addressing: GroupAddressing,
    receivers: UserAddress[],
  ): Promise<void> {
    return this.#home.relayCopies(draft, content, addressing, receivers);
  }

  /** A peer's SendMessageRequest to or from a group: a member posting to one of our groups, or
   * a group of the peer's passing a message to our users. */
  receiveMessage(peer: string, p: XmlElement): Promise<XmlElement> {
    const m = readGroupMessageRequest(p);
    if ("code" in m) {
      const messageId = p.children.find((c) => c.name === "MessageInfo")?.attrs.messageID ?? "";
      return Promise.resolve(sendMessageResponse(messageId, status(m.code, m.description)));
    }
    const { domain } = this.#server.config;
    return parseGroupId(m.groupId, domain)?.domain === domain
      ? this.#home.receiveMessage(peer, m)
      : this.#member.receiveCopy(peer, m);
  }
}
