/**
 * Groups across domains (SSP group transactions of digest §9.3), on the SSP transport: the
 * group's side (`federation_home.ts`: a peer's users in our groups) and the member's side
 * (`federation_member.ts`: our users in groups of other domains). Messages to and from groups
 * of other domains are IM's (`im/federation.ts`).
 */
import { log } from "../../observe/log.ts";
import { GROUP_REQUESTS, statusCode } from "../../codec/ssp/mod.ts";
import { GROUP_COPY_SETTLED, GROUP_JOIN_SETTLED } from "../../federation/queue.ts";
import type { SspTransport } from "../../federation/relay.ts";
import type { Groups } from "./element.ts";
import { dropUnreachable, serveGroupRequest } from "./federation_home.ts";
import {
  autoJoinRemote,
  type GroupJoin,
  joined,
  leaveAllRemote,
  noticed,
  removed,
} from "./federation_member.ts";

/** Serves the peers' group requests and notices, and follows our users in their groups. */
export function serveGroups(g: Groups, transport: SspTransport): void {
  for (const { ssp } of GROUP_REQUESTS) {
    transport.handle(ssp, (peer, p) => serveGroupRequest(g, peer, ssp, p));
  }
  transport.handle("GroupChangeNotice", (peer, p) => noticed(g, peer, p));
  transport.handle("LeaveGroupIndication", (peer, p) => removed(g, peer, p));
  g.server.sessions.onEnd((session) => leaveAllRemote(g, transport, session));
  g.server.sessions.onStart((session) => autoJoinRemote(g, transport, session));
  transport.onSettled(GROUP_JOIN_SETTLED, {
    async answered(domain, job, answer) {
      const code = statusCode(answer);
      if (code === 200) await joined(g, job.settle!.data as GroupJoin);
      else if (code !== 201) {
        log.warn("relay: refused by peer", {
          peer: domain,
          primitive: job.primitive.name,
          code: code ?? "none",
        });
      }
    },
  });
  // A copy of one of our groups' messages its receivers' server never took: they leave.
  transport.onSettled(GROUP_COPY_SETTLED, {
    gaveUp(domain, job) {
      const { groupId, receivers } = job.settle!.data as { groupId: string; receivers: string[] };
      return dropUnreachable(g, domain, groupId, receivers);
    },
  });
}
