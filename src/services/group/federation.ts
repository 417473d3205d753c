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
  statusCode,
} from "../../codec/ssp/mod.ts";
import { GROUP_COPY_SETTLED, GROUP_JOIN_SETTLED } from "../../federation/queue.ts";
import type { XmlElement } from "../../codec/xml/tree.ts";
import type { SspTransport } from "../../federation/relay.ts";
import type { HandlerReply, RequestContext } from "../../session/handler.ts";
import type { ServerContext } from "../../session/handler.ts";
import type { Mutation } from "../../store/kv.ts";
import { parseGroupId, type UserAddress } from "../shared/ids.ts";
import type { GroupChange } from "./group_change_notice.ts";
import type { GroupRelay, RemoteReceiver } from "./remote.ts";
import type { Draft } from "../im/compose.ts";
import type { GroupAddressing, GroupRecipient } from "../im/seams.ts";
import type { RecipientOutcome } from "../shared/outcomes.ts";
import { GroupHome } from "./federation_home.ts";
import { type GroupJoin, GroupMember } from "./federation_member.ts";

export class GroupRelayService implements GroupRelay {
  readonly #server: ServerContext;
  readonly #home: GroupHome;
  readonly #member: GroupMember;

  constructor(server: ServerContext, transport: SspTransport) {
    this.#server = server;
    this.#home = new GroupHome(server, transport);
    this.#member = new GroupMember(server, transport);
    for (const name of GROUP_REQUESTS) {
      transport.handle(name, (peer, p) => this.#home.serve(peer, name, p));
    }
    transport.handle("GroupChangeNotice", (peer, p) => this.#member.noticed(peer, p));
    transport.handle("LeaveGroupIndication", (peer, p) => this.#member.removed(peer, p));
    server.sessions.onEnd((session) => this.#member.leaveAll(session));
    server.sessions.onStart((session) => this.#member.autoJoin(session));
    transport.onSettled(GROUP_JOIN_SETTLED, {
      answered: async (domain, job, answer) => {
        const code = statusCode(answer);
        if (code === 200) await this.#member.joined(job.settle!.data as GroupJoin);
        else if (code !== 201) {
          console.warn(
            `relay: ${domain} answered ${job.primitive.name} with ${code ?? "no status"}`,
          );
        }
      },
    });
    transport.onSettled(GROUP_COPY_SETTLED, {
      gaveUp: (domain, job) => {
        const { groupId, receivers } = job.settle!.data as { groupId: string; receivers: string[] };
        return this.#home.dropUnreachable(domain, groupId, receivers);
      },
    });
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
