/**
 * ClientCapability-Request: agrees on what the server really supports of what the client offers.
 * No CIR channel is offered yet, so no SupportedCIRMethod is agreed and the client polls.
 */
import type { ElementObject } from "../../codec/csp/message.ts";
import type { PrimitiveModule, RequestContext } from "../../session/handler.ts";
import { int, obj, str, strs } from "../../session/values.ts";
import type { SessionRecord } from "../../store/sessions.ts";
import type { Access } from "./element.ts";

/** Most transactions the server puts in one message to a client. */
const MAX_MULTI_TRANS = 16;

export interface CapabilityAgreement {
  agreed: ElementObject;
  sessionChanges: Partial<SessionRecord>;
}

export function agreeCapabilities(ctx: RequestContext, offer: ElementObject): CapabilityAgreement {
  const { config } = ctx.server;
  const agreed: ElementObject = {};
  const clientType = str(offer.ClientType);
  if (clientType) agreed.ClientType = clientType;
  const contentTypes = offer.AcceptedContentType;
  if (contentTypes !== undefined) agreed.AcceptedContentType = contentTypes;
  const length = int(offer.AcceptedContentLength);
  if (length !== undefined && ctx.version !== "1.3") {
    agreed.AcceptedContentLength = Math.min(length, config.maxBodyBytes);
  }
  const encodings = strs(offer.AcceptedTransferEncoding).filter((e) =>
    e.toUpperCase() === "BASE64"
  );
  if (encodings.length > 0) agreed.AcceptedTransferEncoding = ["BASE64"];
  const method = str(offer.InitialDeliveryMethod);
  agreed.InitialDeliveryMethod = method === "N" ? "N" : "P";
  const multiTrans = Math.max(1, Math.min(int(offer.MultiTrans) ?? 1, MAX_MULTI_TRANS));
  agreed.MultiTrans = multiTrans;
  const parserSize = int(offer.ParserSize);
  if (parserSize !== undefined) agreed.ParserSize = parserSize;
  agreed.ServerPollMin = Math.max(int(offer.ServerPollMin) ?? 0, config.pollMin);
  const bearers = strs(offer.SupportedBearer).map((b) => b.toUpperCase());
  const ours = config.tlsCert ? ["HTTP", "HTTPS"] : ["HTTP"];
  const common = bearers.filter((b) => ours.includes(b));
  agreed.SupportedBearer = common.length > 0 ? common : [ours[0]];
  return {
    agreed,
    sessionChanges: { capabilities: agreed, multiTrans },
  };
}

export function clientCapability(_access: Access): PrimitiveModule {
  return {
    name: "ClientCapability-Request",
    async handle(ctx, body) {
      const { agreed, sessionChanges } = agreeCapabilities(ctx, obj(body.CapabilityList) ?? {});
      ctx.session = await ctx.server.sessions.update(ctx.session!, sessionChanges);
      // 1.1 answers with CapabilityList; 1.2 renamed it AgreedCapabilityList.
      return {
        name: "ClientCapability-Response",
        body: ctx.version === "1.1"
          ? { ClientID: body.ClientID, CapabilityList: agreed }
          : { AgreedCapabilityList: agreed },
      };
    },
  };
}
