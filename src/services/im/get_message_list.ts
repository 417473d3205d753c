/**
 * GetMessageList-Request: what waits in the caller's mailbox, as MessageInfo. It takes nothing out
 * of the mailbox; MessageDelivered does (as Baraza does, fixtures 034-036).
 */
import type { ElementObject } from "../../codec/csp/message.ts";
import type { PrimitiveModule } from "../../session/handler.ts";
import { ProtocolError } from "../../session/status.ts";
import { int, str } from "../../session/values.ts";
import { sameGroupKey } from "../shared/ids.ts";
import { liveMessages } from "./delivery.ts";
import type { Im } from "./element.ts";
import type { PresentedMessage } from "./presentation.ts";

export function getMessageListRequest(im: Im): PrimitiveModule {
  return {
    name: "GetMessageList-Request",
    function: ["IMFeat", "IMReceiveFunc", "GETLM"],
    async handle(ctx, body) {
      const groupId = body.GroupID === undefined ? undefined : str(body.GroupID);
      if (body.GroupID !== undefined && !groupId?.trim()) {
        throw new ProtocolError(402, "GroupID must name a group");
      }
      const count = body.MessageCount === undefined ? undefined : int(body.MessageCount);
      if (body.MessageCount !== undefined && count === undefined) {
        throw new ProtocolError(402, "MessageCount must be a whole number");
      }
      const live: PresentedMessage[] = await liveMessages(im, ctx.session!.userId);
      // With a GroupID: only what came through that group (the caller's own mailbox, so a group
      // left or deleted since still lists what it brought).
      const messages = groupId === undefined
        ? live
        : live.filter((m) => m.group && sameGroupKey(m.group.groupId) === sameGroupKey(groupId));
      const infos = messages.slice(0, count).map((m) => im.present.messageInfo(m));
      // 1.1 lists MessageInfo directly; 1.2 (as Baraza answers, fixture 034) and 1.3 wrap them.
      const answer: ElementObject = ctx.version === "1.1"
        ? { MessageInfo: infos }
        : { MessageInfoList: { MessageInfo: infos } };
      if (ctx.version === "1.3") answer.MessageTotalCount = messages.length;
      return { name: "GetMessageList-Response", body: answer };
    },
  };
}
